## tests/proof.mk: included from Makefile.am.
