package kryptostest

import "net/http"

func (s *Server) listLedgers(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getLedger(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
