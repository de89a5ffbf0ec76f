package kryptostest

import "net/http"

func (s *Server) searchAssets(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
