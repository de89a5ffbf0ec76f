package kryptos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
)

// The paging benchmarks: what decoding one page of transactions costs
// against json.Unmarshal of the same bytes into the same public types, and
// what iterating 100,000 transactions keeps on the heap against collecting
// them. BENCHMARKS.md ("Reading data: paging") gives the commands and the
// figures.

const (
	pagingPageSize = 200    // the most GET /v1/transactions sends
	pagingTotal    = 100000 // the transactions BenchmarkIterateTransactions100k reads
)

// pagingBaselinePage is the baseline's target: the page's bytes decoded by
// json.Unmarshal into exactly the public types, Transaction's own
// UnmarshalJSON included, beside the page fields.
type pagingBaselinePage struct {
	Data []kryptos.Transaction `json:"data"`
	Meta struct {
		Limit   int  `json:"limit"`
		Offset  int  `json:"offset"`
		HasMore bool `json:"hasMore"`
		Total   int  `json:"total"`
	} `json:"meta"`
}

// pagingTemplate is the docs' sample transaction (testdata/golden), compacted
// as a server sends it, cut at the values that differ from one entry to the
// next: its id, its platform id, its timestamps and its ledger entry's id.
type pagingTemplate struct {
	parts []string // between the holes
	holes []byte   // what goes in each hole: 'i' id, 'p' platform id, 't' timestamp, 'l' ledger id
}

var (
	pagingTemplateOnce sync.Once
	pagingTemplateVal  pagingTemplate
	pagingTemplateErr  error
)

func loadPagingTemplate(b *testing.B) *pagingTemplate {
	b.Helper()
	pagingTemplateOnce.Do(func() {
		raw, err := os.ReadFile("testdata/golden/transactions.list.json")
		if err != nil {
			pagingTemplateErr = err
			return
		}
		var golden struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &golden); err != nil {
			pagingTemplateErr = err
			return
		}
		var entry bytes.Buffer
		if err := json.Compact(&entry, golden.Data[0]); err != nil {
			pagingTemplateErr = err
			return
		}
		s := entry.String()
		marks := []struct {
			value string
			hole  byte
		}{
			{`"8f14e45f-ceea-467a-9a3b-1c2f0d7e5a91"`, 'i'},
			{`"0x9c2f..."`, 'p'},
			{`1721088000000`, 't'}, // the transaction's and its price's
			{`"led_31c9"`, 'l'},
		}
		for _, m := range marks {
			if !strings.Contains(s, m.value) {
				pagingTemplateErr = &os.PathError{Op: "template", Path: m.value, Err: os.ErrNotExist}
				return
			}
			s = strings.ReplaceAll(s, m.value, "\x00"+string(m.hole)+"\x00")
		}
		fields := strings.Split(s, "\x00")
		t := pagingTemplate{parts: []string{fields[0]}}
		for i := 1; i+1 < len(fields); i += 2 {
			t.holes = append(t.holes, fields[i][0])
			t.parts = append(t.parts, fields[i+1])
		}
		pagingTemplateVal = t
	})
	if pagingTemplateErr != nil {
		b.Fatal(pagingTemplateErr)
	}
	return &pagingTemplateVal
}

// appendPage appends the answer of GET /v1/transactions?offset=offset&limit=limit
// over a list of total transactions: entry n has the id
// 00000000-0000-4000-8000-<n in 12 digits>, and is a minute older than entry n-1.
func (t *pagingTemplate) appendPage(dst []byte, offset, limit, total int) []byte {
	end := min(offset+limit, total)
	dst = append(dst, `{"data":[`...)
	for n := offset; n < end; n++ {
		if n > offset {
			dst = append(dst, ',')
		}
		dst = append(dst, t.parts[0]...)
		for h, hole := range t.holes {
			switch hole {
			case 'i':
				dst = append(dst, `"00000000-0000-4000-8000-`...)
				dst = appendPadded(dst, n, 12)
				dst = append(dst, '"')
			case 'p':
				dst = append(dst, `"0x`...)
				dst = strconv.AppendInt(dst, int64(n)*7919+1, 16)
				dst = append(dst, '"')
			case 't':
				dst = strconv.AppendInt(dst, 1721088000000-int64(n)*60000, 10)
			case 'l':
				dst = append(dst, `"led_`...)
				dst = strconv.AppendInt(dst, int64(n), 10)
				dst = append(dst, '"')
			}
			dst = append(dst, t.parts[h+1]...)
		}
	}
	dst = append(dst, `],"meta":{"limit":`...)
	dst = strconv.AppendInt(dst, int64(limit), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, int64(offset), 10)
	dst = append(dst, `,"hasMore":`...)
	dst = strconv.AppendBool(dst, end < total)
	dst = append(dst, `,"total":`...)
	dst = strconv.AppendInt(dst, int64(total), 10)
	return append(dst, "}}"...)
}

func appendPadded(dst []byte, n, width int) []byte {
	var digits [20]byte
	s := strconv.AppendInt(digits[:0], int64(n), 10)
	for range width - len(s) {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// pagingTransport answers every request in memory, without dialling: with
// fixed bytes when body is set, else with the page its offset and limit ask
// for, generated into one reused buffer (the client has read the previous
// answer whole before it asks for the next, as it would from a socket).
type pagingTransport struct {
	body     []byte
	template *pagingTemplate
	total    int
	buf      []byte
}

func (t *pagingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body := t.body
	if body == nil {
		q := req.URL.Query()
		offset, err1 := strconv.Atoi(q.Get("offset"))
		limit, err2 := strconv.Atoi(q.Get("limit"))
		if err1 != nil || err2 != nil || req.URL.Path != "/v1/transactions" {
			return nil, &url404{req.URL.String()}
		}
		t.buf = t.template.appendPage(t.buf[:0], offset, limit, t.total)
		body = t.buf
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(bytes.NewReader(body)),
		Request:       req,
	}, nil
}

type url404 struct{ url string }

func (e *url404) Error() string { return "pagingTransport: unexpected request " + e.url }

// pagingUser is a UserClient whose requests rt answers. The loopback base
// URL is never dialled.
func pagingUser(b *testing.B, rt http.RoundTripper) *kryptos.UserClient {
	b.Helper()
	client, err := kryptos.NewClient("client_bench", "secret_bench",
		kryptos.WithHTTPClient(&http.Client{Transport: rt}),
		kryptos.WithSandbox("http://127.0.0.1:1"))
	if err != nil {
		b.Fatal(err)
	}
	return client.User(kryptos.AccessToken("cat_bench"))
}

// BenchmarkTransactionsPageDecode reads one page of 200 transactions (the
// docs' sample entry with distinct ids): impl=json.Unmarshal decodes its
// bytes into the public types; impl=SDK gets the same bytes through
// ListTransactionsPage, request building, the HTTP core and an in-memory
// RoundTripper included.
func BenchmarkTransactionsPageDecode(b *testing.B) {
	page := loadPagingTemplate(b).appendPage(nil, 0, pagingPageSize, pagingTotal)
	b.Run("impl=json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			var p pagingBaselinePage
			if err := json.Unmarshal(page, &p); err != nil || len(p.Data) != pagingPageSize {
				b.Fatal(len(p.Data), err)
			}
		}
	})
	b.Run("impl=SDK", func(b *testing.B) {
		ctx := context.Background()
		user := pagingUser(b, &pagingTransport{body: page})
		params := kryptos.TransactionsParams{Limit: pagingPageSize}
		b.ReportAllocs()
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			p, err := user.ListTransactionsPage(ctx, params)
			if err != nil || len(p.Items) != pagingPageSize {
				b.Fatal(err)
			}
		}
	})
}

// heapObjectsBytes reads the bytes of the heap's objects, live or not yet
// swept: what the heap holds at that moment.
func heapObjectsBytes(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakSampler records the largest heapObjectsBytes it sees, reading it about
// every millisecond until stopped.
type peakSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func startPeakSampler() *peakSampler {
	p := &peakSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			p.observe(heapObjectsBytes(s))
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *peakSampler) observe(v uint64) {
	for {
		old := p.peak.Load()
		if v <= old || p.peak.CompareAndSwap(old, v) {
			return
		}
	}
}

// finish takes a last reading, stops the sampler and returns the peak.
func (p *peakSampler) finish() uint64 {
	p.observe(heapObjectsBytes([]metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}))
	close(p.stop)
	<-p.done
	return p.peak.Load()
}

// BenchmarkIterateTransactions100k reads 100,000 transactions, 500 pages of
// 200 generated on demand: impl=collect appends them all to a slice (what a
// list without an iterator returns), impl=iterate ranges over
// ListTransactions and counts them. Both report the peak of the heap during
// one read (sampled every millisecond, and once at its end), the size of one
// page's bytes (page-KB) and of one decoded page as the heap keeps it
// (page-decoded-KB).
func BenchmarkIterateTransactions100k(b *testing.B) {
	tmpl := loadPagingTemplate(b)
	pageKB := float64(len(tmpl.appendPage(nil, 0, pagingPageSize, pagingTotal))) / 1024
	decodedKB := decodedPageKB(b, tmpl)
	for _, impl := range []string{"collect", "iterate"} {
		b.Run("impl="+impl, func(b *testing.B) {
			ctx := context.Background()
			user := pagingUser(b, &pagingTransport{template: tmpl, total: pagingTotal})
			var peak uint64
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				runtime.GC()
				sampler := startPeakSampler()
				b.StartTimer()
				var n int
				var all []kryptos.Transaction
				for tx, err := range user.ListTransactions(ctx, kryptos.TransactionsParams{}) {
					if err != nil {
						b.Fatal(err)
					}
					if impl == "collect" {
						all = append(all, tx)
					}
					n++
				}
				b.StopTimer()
				peak = max(peak, sampler.finish())
				if n != pagingTotal || (impl == "collect" && len(all) != pagingTotal) {
					b.Fatalf("read %d transactions, collected %d; want %d", n, len(all), pagingTotal)
				}
				runtime.KeepAlive(all)
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(pageKB, "page-KB")
			b.ReportMetric(decodedKB, "page-decoded-KB")
		})
	}
}

// decodedPageKB is what one page of 200 transactions, decoded into the
// public types, keeps on the heap: the page's Transaction values with their
// strings, legs and maps, without the bytes they were read from.
func decodedPageKB(b *testing.B, tmpl *pagingTemplate) float64 {
	b.Helper()
	body := tmpl.appendPage(nil, 0, pagingPageSize, pagingTotal)
	// A first decode fills encoding/json's caches of the types, which stay.
	if err := json.Unmarshal(body, new(pagingBaselinePage)); err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC() // and again, to drop what sync.Pools kept from earlier benchmarks
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	page := new(pagingBaselinePage)
	if err := json.Unmarshal(body, page); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	after := ms.HeapAlloc
	if len(page.Data) != pagingPageSize || page.Data[199].ID != "00000000-0000-4000-8000-000000000199" {
		b.Fatalf("decoded page: %d transactions", len(page.Data))
	}
	runtime.KeepAlive(page)
	runtime.KeepAlive(body)
	return float64(int64(after)-int64(before)) / 1024
}
