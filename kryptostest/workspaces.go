package kryptostest

import "net/http"

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
