package kryptostest

import "net/http"

func (s *Server) listSpam(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
