package kryptostest

import "net/http"

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
