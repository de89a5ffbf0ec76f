package kryptostest

import "net/http"

func (s *Server) me(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
