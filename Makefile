# hako: the two front doors are `make demo` and `make test` (README.md).
SHELL := /bin/bash
GO ?= go
BIN := hako
PKGS_PURE := ./libcontainer/logs/... ./libcontainer/intelrdt/... ./libcontainer/caps/... ./libcontainer/validate/... \
	./libcontainer/rootfs/... ./libcontainer/hooks/... ./cgroups/... ./seccomp/...

.PHONY: all build hako-faults stress deps demo test unit integration bench bench-vm lint clean test-engines conformance test-cri man install uninstall fuzz

all: build man

# Debian packages the build, tests, demo and bench use; installed only when
# something is missing, so repeated runs cost nothing.
DEB_PKGS := gcc make pkg-config libseccomp-dev bats jq busybox-static runc crun hyperfine iproute2 util-linux procps apparmor uidmap passwd podman attr libcap2-bin criu man-db zsh
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	fi
	@command -v $(GO) >/dev/null || { echo "go not found (install Go 1.26+)"; exit 1; }
	$(GO) mod download

# Static (libseccomp.a from libseccomp-dev): the init's last stage is this
# binary exec'd inside the container, where the host's dynamic loader is
# not; a dynamic build works too, with the init waiting for `start` in Go.
# urfave_cli_no_docs: the man pages are made by `make man`, not by the
# runtime, which so carries no markdown/roff code.
# The commit `hako --version` prints, as runc's does.
COMMIT ?= $(shell git describe --always --dirty --long 2>/dev/null)
build:
	$(GO) build -trimpath -tags netgo,osusergo,urfave_cli_no_docs -ldflags '-extldflags=-static -X main.gitCommit=$(COMMIT)' -o $(BIN) .

# The crash-point build (internal/fault): the same binary with the
# hako_faults tag, for tests/integration/crash.bats and tests/vm/checkpoint.sh
# only.
hako-faults: build
	$(GO) build -trimpath -tags netgo,osusergo,urfave_cli_no_docs,hako_faults -ldflags '-extldflags=-static -X main.gitCommit=$(COMMIT)' -o hako-faults .

# Man pages (section 8) from the command definitions: hako.8 and
# hako-<verb>.8 (man.go, built only with the hakoman tag).
MAN_DIR := .cache/man
man:
	rm -rf $(MAN_DIR)
	$(GO) run -tags hakoman . man-pages $(MAN_DIR)

# `make` then `make install` puts the binary, the man pages and the bash and zsh
# completions under $(DESTDIR)$(PREFIX), as runc's Makefile lays them out.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(PREFIX)/share/zsh/site-functions
# install only copies (as runc's): build first with `make`, as yourself.
install:
	@[ -x $(BIN) ] && [ -f $(MAN_DIR)/hako.8 ] || { echo "nothing to install: run make first"; exit 1; }
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/$(BIN)
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN_DIR)/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -D -m 0644 contrib/completions/bash/hako $(DESTDIR)$(BASH_COMPLETION_DIR)/hako
	install -D -m 0644 contrib/completions/zsh/_hako $(DESTDIR)$(ZSH_COMPLETION_DIR)/_hako

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(BIN) $(DESTDIR)$(MANDIR)/man8/hako.8 $(DESTDIR)$(MANDIR)/man8/hako-*.8 \
		$(DESTDIR)$(BASH_COMPLETION_DIR)/hako $(DESTDIR)$(ZSH_COMPLETION_DIR)/_hako

demo: deps build
	@hack/demo.sh

# Unit tests (go test, -race on the pure packages) then the bats suite, then
# the cgroup v2 / systemd suites in a VM when the cgroups tests provide them.
# The last line is the total "N passed, N failed".
test: deps build hako-faults
	@hack/test.sh

# Reliability at scale (tests/stress): STRESS_N containers through the
# lifecycle, 8-way, while 4 more workers run every other verb on the same
# ids; fails on a hang, an unclear error, a corrupt state or a leak.
# make test runs 200.
STRESS_N ?= 1000
stress: build
	$(GO) run ./tests/stress -runtime ./$(BIN) -n $(STRESS_N)

unit:
	$(GO) test -race $(PKGS_PURE)
	$(GO) test ./...

integration: build hako-faults
	bats tests/integration tests/integration/security

# The reference runc (docs/status.md compares against it): runc 1.5.3 from
# the Go module proxy, next to the tree, not Debian's 1.1.5.
REF_RUNC := .cache/ref/runc
$(REF_RUNC):
	GOBIN=$(CURDIR)/.cache/ref $(GO) install -tags seccomp github.com/opencontainers/runc@v1.5.3

# The opencontainers/runtime-tools validation programs against hako and the
# reference runc, one table row per program (docs/conformance.md).
conformance: build $(REF_RUNC)
	@CONFORMANCE_DOC=docs/conformance.md hack/conformance.sh

# hako under podman, containerd's ctr and docker (each private, installed
# from Debian when missing) next to runc 1.5.3: docs/engines.md's table.
test-engines: deps build $(REF_RUNC)
	@hack/test-engines.sh

# Kubernetes' CRI on hako and runc 1.5.3 through a private containerd 2.x:
# crictl scenarios and critest (docs/cri.md). The first run builds
# containerd, crictl and critest into .cache/cri (about 15 minutes on 2
# cores), so it is not part of `make test`.
test-cri: deps build $(REF_RUNC)
	@hack/test-cri.sh

BENCH_PKGS := gnuplot-nox bc
bench: deps build $(REF_RUNC)
	@missing=""; for p in $(BENCH_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@hack/bench.sh

# make bench's run/create/start/delete/exec/memory section in the vm-run
# guests (pure cgroup v2, fs and systemd drivers); ratios only (emulated CPU).
bench-vm: deps build $(REF_RUNC)
	@hack/bench-vm.sh

# The Go fuzz targets (docs/fuzzing.md), package:Target, each run for
# FUZZTIME in turn (`make fuzz FUZZTIME=30s` is the short run); a failing
# input lands in the package's testdata/fuzz/. Their seeds also run in
# every go test. FUZZPARALLEL workers each (1: the machine may be shared).
FUZZTIME ?= 10m
FUZZPARALLEL ?= 1
FUZZ_TARGETS := ./libcontainer/:FuzzConfig ./libcontainer/validate/:FuzzValues \
	./libcontainer/rootfs/:FuzzMountPlan ./seccomp/:FuzzCompile .:FuzzCLIValues \
	./libcontainer/syncproto/:FuzzSyncMessages ./nsenter/:FuzzExecPlan
# A run that ends in "context deadline exceeded" without writing a failing
# input is Go's coordinator racing its own -fuzztime deadline
# (golang/go#75804), not a finding: reported, not failed. A count
# (FUZZTIME=3000x, as make test uses) has no deadline.
fuzz:
	@failed=""; out=$$(mktemp); for t in $(FUZZ_TARGETS); do \
		echo "== $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		before=$$(ls $${t%%:*}/testdata/fuzz/$${t#*:} 2>/dev/null | wc -l); \
		if $(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s \
			-parallel $(FUZZPARALLEL) $${t%%:*} 2>&1 | tee $$out; test $${PIPESTATUS[0]} -ne 0; then \
			after=$$(ls $${t%%:*}/testdata/fuzz/$${t#*:} 2>/dev/null | wc -l); \
			if grep -q 'context deadline exceeded' $$out && [ "$$after" = "$$before" ]; then \
				echo "fuzz: $${t#*:}: Go's deadline race at the end of -fuzztime (golang/go#75804), no failing input"; \
			else failed="$$failed $${t#*:}"; fi; \
		fi; \
	done; rm -f $$out; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi; echo "fuzz: all passed"

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...

clean:
	rm -rf $(BIN) bin .cache
