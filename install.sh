#!/bin/sh
# nsbox installer: curl -fsSL https://get.nsbox.dev/install.sh | sh
#
# Picks the release artifact for this machine (uname -m, the C library, AVX2), downloads it with
# SHA256SUMS and SHA256SUMS.minisig from $NSBOX_BASE_URL/<latest|vX.Y.Z>/, checks the signature
# against the release key below (minisign, when installed) and the artifact against SHA256SUMS,
# then installs it atomically (temp file in the target directory, fsync, rename) into
# /usr/local/bin as root or ~/.local/bin otherwise ($NSBOX_INSTALL_DIR overrides).
# Any failure: one line on stderr, exit 1, nothing installed, nothing left behind.
#
#   sh install.sh [--version X.Y.Z] [--no-stage] [--uninstall]
#   NSBOX_BASE_URL      where releases live (default below)
#   NSBOX_INSTALL_DIR   where the binary goes
#   NSBOX_PUBKEY        a minisign public key to trust instead of the release key (testing)
#
# Everything runs from main at the very end, so a download cut short runs nothing.

set -u

NSBOX_RELEASE_PUBKEY='RWQ+I9bIIiOuZGUwRHBHJg0Fv98oEJBd3oM4hkRETXnWaehTQpJToN/u'
NSBOX_DEFAULT_BASE_URL='https://get.nsbox.dev/releases'
# Where `nsbox stage install` puts the stage by default (src/core/stage-install.ts; a test keeps
# the two equal), so --uninstall can remove it too, and nsbox beside it when the front is
# installed (src/native/FRONT.md: `nsbox` is then a symlink to the stage).
NSBOX_STAGE_PATH='/usr/local/lib/nsbox/nsbox-stage'
NSBOX_FRONT_TARGET="${NSBOX_STAGE_PATH%/*}/nsbox"

say() { printf 'nsbox-install: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

usage() {
	cat <<'EOF'
usage: install.sh [--version X.Y.Z] [--no-stage] [--uninstall]
Installs nsbox into /usr/local/bin (root) or ~/.local/bin, or $NSBOX_INSTALL_DIR.
  --version X.Y.Z  that release instead of the latest
  --no-stage       as root, do not run `nsbox stage install --front` (e.g. when building an
                   image), or with --uninstall, leave the installed stage in place
  --uninstall      remove the nsbox binary (and, as root, the stage) this installer put in place
EOF
}

# x64 | x64-baseline | arm64, with -musl on a musl system: the artifact's name is nsbox-linux-<it>.
detect_target() {
	case $(uname -m) in
	x86_64 | amd64)
		arch=x64
		# Without AVX2 (or without /proc/cpuinfo to tell) the baseline build is the safe one.
		grep -qw avx2 /proc/cpuinfo 2>/dev/null || arch=x64-baseline
		;;
	aarch64 | arm64) arch=arm64 ;;
	*) die "unsupported architecture '$(uname -m)': nsbox is built for x86_64 and aarch64" ;;
	esac
	# musl's ldd names itself; a glibc system answers getconf GNU_LIBC_VERSION or has glibc's
	# loader at the path its binaries name (a busybox system may have neither ldd nor getconf).
	if (ldd --version 2>&1 || true) | grep -qi musl; then
		[ "$arch" = x64-baseline ] && arch=x64
		arch=$arch-musl
	elif ! getconf GNU_LIBC_VERSION >/dev/null 2>&1 && [ ! -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
		die "cannot tell this system's C library (neither glibc nor musl): nsbox is built for both; download an artifact by hand"
	fi
	echo "nsbox-linux-$arch"
}

fetch() { # URL FILE
	if command -v curl >/dev/null 2>&1; then
		curl -fsL --retry 2 -o "$2" "$1"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1"
	else
		die "neither curl nor wget is installed: install one of them"
	fi
}

sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d ' ' -f 1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d ' ' -f 1
	elif command -v openssl >/dev/null 2>&1; then
		openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
	else
		die "no SHA-256 tool (sha256sum, shasum or openssl) found: install coreutils"
	fi
}

default_dir() {
	if [ -n "${NSBOX_INSTALL_DIR:-}" ]; then
		echo "$NSBOX_INSTALL_DIR"
	elif [ "$(id -u)" = 0 ]; then
		echo /usr/local/bin
	else
		[ -n "${HOME:-}" ] || die "HOME is not set: set NSBOX_INSTALL_DIR to the directory to install into"
		echo "$HOME/.local/bin"
	fi
}

uninstall() {
	dir=$(default_dir)
	[ -e "$dir/nsbox" ] || die "nothing to uninstall: $dir/nsbox does not exist"
	rm -f "$dir/nsbox" || die "cannot remove $dir/nsbox"
	say "removed $dir/nsbox"
	if [ "$(id -u)" = 0 ] && [ "$stage" = yes ]; then
		for f in "$NSBOX_FRONT_TARGET" "$NSBOX_STAGE_PATH"; do
			[ -e "$f" ] || continue
			rm -f "$f" || die "cannot remove $f"
			say "removed $f"
		done
		rmdir "${NSBOX_STAGE_PATH%/*}" 2>/dev/null || true
	fi
}

# Checks SHA256SUMS's signature (when minisign is installed) and prints the artifact's sum.
expected_sum() { # WORKDIR ARTIFACT TAG
	if command -v minisign >/dev/null 2>&1; then
		fetch "$base/$3/SHA256SUMS.minisig" "$1/SHA256SUMS.minisig" ||
			die "no signature at $base/$3/SHA256SUMS.minisig: refusing to install an unsigned release"
		minisign -V -q -P "${NSBOX_PUBKEY:-$NSBOX_RELEASE_PUBKEY}" -m "$1/SHA256SUMS" -x "$1/SHA256SUMS.minisig" >/dev/null 2>&1 ||
			die "SHA256SUMS is not signed by the nsbox release key: nothing installed"
	else
		say "warning: minisign is not installed, so only the SHA-256 sum is checked, not the release signature (apt-get install minisign, then run this again)"
	fi
	want=$(awk -v f="$2" '$2 == f || $2 == "*" f { print $1 }' "$1/SHA256SUMS")
	[ -n "$want" ] || die "this release has no $2 (SHA256SUMS does not list it)"
	# One line of 64 hex digits (a second line for the same name fails here too).
	case $want in *[!0-9a-f]*) die "SHA256SUMS has a malformed line for $2" ;; esac
	[ ${#want} -eq 64 ] || die "SHA256SUMS has a malformed line for $2"
	echo "$want"
}

# Temp file in the target directory, fsync, rename: the old binary or the new one, never half.
install_atomically() { # SOURCE DIR
	mkdir -p "$2" || die "cannot create $2"
	target_tmp=$(mktemp "$2/.nsbox.XXXXXX") || die "cannot write to $2 (set NSBOX_INSTALL_DIR, or run as root)"
	{ cp "$1" "$target_tmp" && chmod 0755 "$target_tmp"; } || die "cannot write $target_tmp"
	sync "$target_tmp" 2>/dev/null || sync
	mv -f "$target_tmp" "$2/nsbox" || die "cannot rename $target_tmp to $2/nsbox"
	target_tmp=
	sync "$2" 2>/dev/null || true
}

main() {
	version=
	action=install
	stage=yes
	while [ $# -gt 0 ]; do
		case $1 in
		--version)
			[ $# -ge 2 ] || die "--version needs a value, like --version 0.1.0"
			version=$2
			shift 2
			;;
		--version=*)
			version=${1#--version=}
			shift
			;;
		--uninstall)
			action=uninstall
			shift
			;;
		--no-stage)
			stage=no
			shift
			;;
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown option '$1' (see --help)" ;;
		esac
	done
	if [ "$action" = uninstall ]; then
		uninstall
		exit 0
	fi
	version=${version#v}
	case $version in
	*[!0-9A-Za-z.+-]*) die "bad --version '$version': expected a release number like 0.1.0" ;;
	esac
	tag=${version:+v$version}
	tag=${tag:-latest}
	base=${NSBOX_BASE_URL:-$NSBOX_DEFAULT_BASE_URL}
	base=${base%/}

	artifact=$(detect_target) || exit 1
	dir=$(default_dir) || exit 1
	work=$(mktemp -d) || die "cannot create a temporary directory"
	target_tmp=
	trap 'rm -rf "$work"; [ -z "$target_tmp" ] || rm -f "$target_tmp"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	fetch "$base/$tag/SHA256SUMS" "$work/SHA256SUMS" || die "cannot download $base/$tag/SHA256SUMS (is $tag a release?)"
	want=$(expected_sum "$work" "$artifact" "$tag") || exit 1
	fetch "$base/$tag/$artifact" "$work/$artifact" || die "cannot download $base/$tag/$artifact"
	got=$(sha256_of "$work/$artifact") || exit 1
	[ "$got" = "$want" ] || die "checksum mismatch for $artifact (expected $want, got $got): nothing installed"
	chmod 0755 "$work/$artifact"
	got_version=$("$work/$artifact" --version 2>&1) || die "the downloaded $artifact does not run on this machine: $got_version"
	if [ -n "$version" ]; then
		case $got_version in
		*"/$version "* | *"/$version") ;;
		*) die "asked for $version but the release at $base/$tag is '$got_version'" ;;
		esac
	fi

	install_atomically "$work/$artifact" "$dir"
	say "installed $got_version at $dir/nsbox"
	if [ "$(id -u)" = 0 ] && [ "$stage" = yes ]; then
		# The static stage at a root-owned path, for saved plans and, where the release has it, as
		# the front: $dir/nsbox becomes a symlink to it and nsbox moves beside it, so a repeated
		# `nsbox run` line starts without Bun. Older releases have no such command.
		if "$dir/nsbox" stage --help 2>/dev/null | grep -q -- --front; then
			"$dir/nsbox" stage install --front "$dir/nsbox" || die "nsbox stage install --front failed (the binary is installed at $dir/nsbox)"
		elif "$dir/nsbox" help stage >/dev/null 2>&1; then
			"$dir/nsbox" stage install || die "nsbox stage install failed (the binary is installed at $dir/nsbox)"
		else
			say "note: this nsbox has no 'stage install' command; skipped installing the stage"
		fi
	fi
	case ":${PATH:-}:" in
	*":$dir:"*) say "next: nsbox check   (then: nsbox run -- id)" ;;
	*) say "next: $dir/nsbox check   ($dir is not on your PATH: add it, e.g. export PATH=\"$dir:\$PATH\")" ;;
	esac
}

main "$@"
