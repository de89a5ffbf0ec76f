package kryptostest

import "net/http"

func (s *Server) listNFTs(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) listNFTCollections(w http.ResponseWriter, r *http.Request) { notYet(w, r) }

func (s *Server) getNFT(w http.ResponseWriter, r *http.Request) { notYet(w, r) }
