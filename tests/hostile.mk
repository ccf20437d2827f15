## tests/hostile.mk: included from Makefile.am.
