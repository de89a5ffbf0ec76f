package kryptostest

import "net/http"

func (s *Server) listTransactions(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) transactionCounts(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getTransaction(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getTransactionLedgers(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
