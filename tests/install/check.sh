#!/usr/bin/env bash
# Installs the built tree into a temporary prefix and builds a small program against it twice:
# with CMake's find_package(clkfac) and with pkg-config. Usage: check.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
src="$2"
tmp="$(mktemp -d /tmp/clkfac-install-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
mkdir -p "$tmp/app"
cp "$src/tests/install/consumer.c" "$tmp/app/main.c"
cat > "$tmp/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(clkfac REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer clkfac::clkfac)
CM
cmake -S "$tmp/app" -B "$tmp/app/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/app/b" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib:${LD_LIBRARY_PATH:-}" "$tmp/app/b/consumer"
libdir="$(find "$tmp/prefix" -name clkfac.pc -printf '%h\n' | head -n 1)"
cc "$tmp/app/main.c" $(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs clkfac) -o "$tmp/pc"
LD_LIBRARY_PATH="$tmp/prefix/lib:${LD_LIBRARY_PATH:-}" "$tmp/pc"
echo "install check: find_package and pkg-config consumers built and ran"
