package kryptostest

import "net/http"

func (s *Server) listHoldings(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getHolding(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) listCalculatedBalances(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
