package kryptostest

import "net/http"

func (s *Server) listDeFi(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) defiTotals(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) defiNetworks(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) listDeFiMetadata(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getDeFiMetadata(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
