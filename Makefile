# nitrokit — plain GNU make.  `make help` lists the targets.
.DELETE_ON_ERROR:
.SUFFIXES:

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

CC         ?= cc
PKG_CONFIG ?= pkg-config
SANITIZE   ?=
PKGS       := openssl zlib popt jansson libcbor libcurl

# Hardening is on by default; SANITIZE=address,undefined adds the sanitizers.
OPT        ?= -O2 -g
CFLAGS     ?=
HARDEN     := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD  := -pie -Wl,-z,relro,-z,now
WARN       := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wno-unused-parameter \
              -Wno-format-truncation  # messages are cut to fit, on purpose
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -pthread -Ilib \
              -DNK_VERSION='"$(VERSION)"' $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
# --as-needed: a tool loads only the libraries it calls (libcurl and its two
# dozen dependencies cost ~4 ms at every start of the tools that never talk HTTP).
ALL_LDFLAGS := $(HARDEN_LD) -Wl,--as-needed -pthread $(LDFLAGS)
LIBS       := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ifneq ($(SANITIZE),)
ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Quiet rules unless V=1.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

TOOLS    := $(notdir $(patsubst %/,%,$(wildcard cmd/*/)))
LIB_SRC  := $(sort $(wildcard lib/*/*.c))
LIB_OBJ  := $(LIB_SRC:.c=.o)
LIB      := lib/libnitrokit.a
BINS     := $(addprefix bin/,$(TOOLS))
MANS     := $(foreach t,$(TOOLS),man/$(t).1)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:.c=)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_RUN := $(FUZZ_SRC:.c=.replay)

# LD_PRELOAD shim that turns /dev/nsm ioctls into nsm-sim requests.  Plain C,
# no libnitrokit (the archive is not PIC) and never sanitized: an ASan .so
# cannot be preloaded into an uninstrumented program.
PRELOAD_SRC := $(wildcard preload/nsm-sim-preload.c)
PRELOAD  := $(if $(PRELOAD_SRC),lib/libnsm-sim-preload.so)

all: $(BINS) $(MANS) $(PRELOAD)

# Rebuild everything when the flags change (git's GIT-CFLAGS idea).
FLAGS_STAMP := .build-flags
FLAGS_NOW := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LIBS)
$(FLAGS_STAMP): FORCE
	@if [ "$$(cat $@ 2>/dev/null)" != '$(FLAGS_NOW)' ]; then echo '$(FLAGS_NOW)' > $@; fi

%.o: %.c $(FLAGS_STAMP)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

bin/%: cmd/%/main.o $(LIB)
	@mkdir -p bin
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LIBS)

.SECONDEXPANSION:
man/%.1: cmd/$$*/$$*.1.scd man/exit-codes.scd man/kms-options.scd man/kms-environment.scd
	$(call say,SCDOC,$@)sed -e '/^%EXIT_CODES%$$/{r man/exit-codes.scd' -e 'd;}' \
	  -e '/^%KMS_OPTIONS%$$/{r man/kms-options.scd' -e 'd;}' \
	  -e '/^%KMS_ENVIRONMENT%$$/{r man/kms-environment.scd' -e 'd;}' $< | scdoc > $@

lib/libnsm-sim-preload.so: preload/nsm-sim-preload.c lib/nsm/nsm_dev.h lib/nsm/nsm_msg.h $(FLAGS_STAMP)
	$(call say,CCLD,$@)$(CC) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -fPIC -shared -Ilib \
	  -Wl,-z,relro,-z,now -o $@ $< -ldl $(LDFLAGS)

# UNIT_LDFLAGS_<name>: link flags of one unit test only.  test_secmem routes
# free() through a wrapper that checks blocks are cleansed before they go back.
UNIT_LDFLAGS_secmem := -Wl,--wrap=free
tests/unit/test_%: tests/unit/test_%.o $(LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) $(UNIT_LDFLAGS_$*) -o $@ $< $(LIB) $(LIBS) -lcmocka

# Fuzz targets: `make check` replays their corpus through a plain main (any compiler);
# `make fuzz` builds them with clang's libFuzzer and runs each for FUZZ_SECONDS.
tests/fuzz/%.replay: tests/fuzz/%.o tests/fuzz/replay_main.o $(LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
fuzz: deps-check
	@for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); \
	  echo "fuzz: building $$n"; \
	  $(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -Ilib -fsanitize=fuzzer,address,undefined \
	    -DNK_VERSION='"$(VERSION)"' $(shell $(PKG_CONFIG) --cflags $(PKGS)) \
	    -o tests/fuzz/$$n.fuzzer $$f $(LIB_SRC) $(LIBS) -pthread || exit 1; \
	  mkdir -p tests/fuzz/corpus/$$n.work; \
	  echo "fuzz: running $$n for $(FUZZ_SECONDS)s"; \
	  tests/fuzz/$$n.fuzzer -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    tests/fuzz/corpus/$$n.work tests/fuzz/corpus/$$n || exit 1; \
	done

deps:
	@scripts/deps.sh

# check and demo install packages first when one is missing.
deps-check:
	@scripts/deps.sh --check || scripts/deps.sh

check: deps-check
	@scripts/check-layers.sh
	@$(MAKE) --no-print-directory check-build
	@scripts/run-tests.sh

check-build: all $(UNIT_BIN) $(FUZZ_RUN)

# The layer rule of DESIGN §2: includes go down the layers only, and nothing
# below lib/tool prints or exits (scripts/check-layers.sh).
check-layers:
	@scripts/check-layers.sh

demo: deps-check
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: all
	@for b in bench/*; do [ -x "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 0644 $(MANS) $(DESTDIR)$(MANDIR)/man1
	$(if $(PRELOAD),install -d $(DESTDIR)$(LIBDIR)/nitrokit && install -m 0755 $(PRELOAD) $(DESTDIR)$(LIBDIR)/nitrokit/)
	for t in $(TOOLS); do \
	  install -m 0644 completions/bash/$$t $(DESTDIR)$(BASHCOMPDIR)/$$t; \
	  install -m 0644 completions/zsh/_$$t $(DESTDIR)$(ZSHCOMPDIR)/_$$t; \
	  install -m 0644 completions/fish/$$t.fish $(DESTDIR)$(FISHCOMPDIR)/$$t.fish; \
	done

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/nitrokit/libnsm-sim-preload.so
	for t in $(TOOLS); do \
	  rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(MANDIR)/man1/$$t.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/$$t $(DESTDIR)$(ZSHCOMPDIR)/_$$t $(DESTDIR)$(FISHCOMPDIR)/$$t.fish; \
	done

# Regenerate the shell completions from the tools' option tables.
completions: $(BINS)
	@scripts/gen-completions.sh

clean:
	rm -rf bin $(LIB) lib/*.so lib/*/*.o lib/*/*.d cmd/*/*.o cmd/*/*.d man/*.1 $(FLAGS_STAMP) \
	  tests/unit/*.o tests/unit/*.d $(UNIT_BIN) tests/fuzz/*.o tests/fuzz/*.d \
	  tests/fuzz/*.replay tests/fuzz/*.fuzzer tests/fuzz/corpus/*.work

help:
	@echo 'targets: all deps check check-layers demo install uninstall fuzz bench completions clean'
	@echo 'variables: PREFIX DESTDIR V=1 SANITIZE=address,undefined FUZZ_SECONDS'

.PHONY: all deps deps-check check check-build check-layers demo bench fuzz install uninstall completions clean help FORCE
.SECONDARY:

-include $(wildcard lib/*/*.d cmd/*/*.d tests/unit/*.d tests/fuzz/*.d)
