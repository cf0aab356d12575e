# link.mk: links a mutant monitor from the objects and library a built
# ukvm-bin of ours was made from (read after that directory's Makefile.ukvm,
# whose UKVM_* variables it uses; nothing there is rebuilt).
#
#   make -C DIR -f Makefile.ukvm -f link.mk mutant MUT_OUT=BIN MUT_OBJ=O MUT_LDFLAGS=FLAGS

.PHONY: mutant
mutant:
	$(UKVM_CC) $(UKVM_LDFLAGS) $(MUT_LDFLAGS) -o $(MUT_OUT) $(UKVM_OBJS) $(MUT_OBJ) $(UKVM_LDLIBS)
