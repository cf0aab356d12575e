# install.mk: `make install PREFIX=/usr/local DESTDIR=` puts libukvm.a, the headers, ukvm-configure, the CMake package and ukvm.pc in place.
#
#   PREFIX/lib/libukvm.a                 the library (this machine's target)
#   PREFIX/include/ukvm/*.h              module API headers
#   PREFIX/bin/ukvm-configure            drop-in for upstream's script
#   PREFIX/lib/cmake/ukvm/               find_package(ukvm), ukvm_add_monitor()
#   PREFIX/lib/pkgconfig/ukvm.pc         pkg-config --cflags --libs ukvm

PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
UKVM_VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' $(TOP)/Cargo.toml | head -n 1)

.PHONY: install
install:
	cd $(TOP) && cargo build --release --lib
	install -d $(INSTALL_ROOT)/lib $(INSTALL_ROOT)/include/ukvm $(INSTALL_ROOT)/bin \
	    $(INSTALL_ROOT)/lib/cmake/ukvm $(INSTALL_ROOT)/lib/pkgconfig
	install -m 644 $(TOP)/target/release/libukvm.a $(INSTALL_ROOT)/lib/
	install -m 644 $(TOP)/include/*.h $(INSTALL_ROOT)/include/ukvm/
	install -m 755 $(TOP)/compat/ukvm-configure $(INSTALL_ROOT)/bin/
	install -m 644 $(TOP)/cmake/ukvmConfig.cmake $(TOP)/cmake/ukvmFunctions.cmake \
	    $(INSTALL_ROOT)/lib/cmake/ukvm/
	sed 's|@UKVM_VERSION@|$(UKVM_VERSION)|g' $(TOP)/cmake/ukvmConfigVersion.cmake.in \
	    > $(INSTALL_ROOT)/lib/cmake/ukvm/ukvmConfigVersion.cmake
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@UKVM_VERSION@|$(UKVM_VERSION)|g' \
	    $(TOP)/cmake/ukvm.pc.in > $(INSTALL_ROOT)/lib/pkgconfig/ukvm.pc
