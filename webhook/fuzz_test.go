package webhook

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds correctly signed bodies and headers of any form to Parse:
// it must never panic, must fail only with ErrMalformed, and must hand over
// an event with an id, a name, and the data of its family.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "", "")
	}
	for _, seed := range []string{`{}`, `{"event":"x","data":null}`, `[`, `{"event":1}`, `null`,
		`{"id":"whd_1","event":"integration.created","data":{"addedOn":1e400,"totalTransactions":1.5e19,"isContract":"yes"}}`,
		`{"id":"whd_1","event":"costbasis.failed","data":{"timestamp":"2026-13-45","reason":{}}}`} {
		f.Add([]byte(seed), "whd_h", "costbasis.started")
	}
	f.Fuzz(func(t *testing.T, body []byte, id, event string) {
		h := http.Header{}
		h.Set(HeaderSignature, Sign(body, testSecret))
		h.Set(HeaderID, id)
		h.Set(HeaderEvent, event)
		ev, err := Parse(body, h, testSecret)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if ev.ID == "" || ev.Type == "" {
			t.Fatalf("an event without an id or a name: %+v", ev)
		}
		switch ev.Type.Family() {
		case FamilyIntegration:
			if ev.Integration == nil || ev.Process != nil {
				t.Fatal("an integration event without its data")
			}
		case FamilyTransferDetection, FamilyCostBasis:
			if ev.Process == nil || ev.Integration != nil {
				t.Fatal("a process event without its data")
			}
		default:
			if ev.Integration != nil || ev.Process != nil {
				t.Fatal("typed data for an unknown family")
			}
		}
	})
}
