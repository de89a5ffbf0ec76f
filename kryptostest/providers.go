package kryptostest

import "net/http"

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getProvider(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
