package kryptostest

import "net/http"

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) listCounterParties(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
