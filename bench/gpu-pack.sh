#!/usr/bin/env bash
# Makes this checkout fit the device tool's 64 MiB (what travels: tracked and untracked-not-ignored
# files, plus the carried paths) for bench/gpu-check.sh:
#   bench/gpu-pack.sh         ../shared/tools/gpu-kit.sh's .gpu/ (Node, the Vulkan loader, enter.sh) with
#                             node_modules cut to what the checks load (ONNX Runtime and sharp for Linux
#                             x64, tsx), GNU time, and the tracked model files the checks never read
#                             (the tiny fixture and world models, reference data) moved to /tmp/gpu-aside
#   bench/gpu-pack.sh restore puts those files back (git checkout would too)
# Then (after npm run build): device run, carry [".gpu", "dist/cli.js", "dist/ort-worker.js"], timeout_s 590,
#   command: source .gpu/enter.sh && BUDGET_S=540 bash bench/gpu-check.sh
# (../shared/tools/gpu-kit.sh's whole node_modules and this tree's model files would be about 100 MiB.)
set -euo pipefail
cd "$(dirname "$0")/.."
ASIDE=/tmp/gpu-aside
# Model files and reference data the GPU checks do not read (they make an SD 1.5-sized folder there).
BIG="data/world-sd fixtures/tiny-sd/unet fixtures/tiny-sd/vae fixtures/tiny-sd/text_encoder fixtures/tiny-sd/cases fixtures/train-steps fixtures/torch-ckpt fixtures/torch-randn.safetensors bench/quality-grid.png"

if [ "${1:-}" = restore ]; then
  [ -d "$ASIDE" ] && cp -a "$ASIDE"/. . && rm -rf "$ASIDE"
  git status --short -- $BIG
  exit 0
fi

[ -f .gpu/node.xz ] && [ -f .gpu/enter.sh ] || bash ../shared/tools/gpu-kit.sh >/dev/null
# What bench/gpu-check.sh loads (the graph code runs from source under tsx: protobufjs too), and their dependencies (onnxruntime-node's install-time helpers too:
# its loader checks them at require time).
MODS="protobufjs @protobufjs/aspromise @protobufjs/base64 @protobufjs/codegen @protobufjs/eventemitter @protobufjs/fetch @protobufjs/float @protobufjs/path @protobufjs/pool @protobufjs/utf8 long onnxruntime-node onnxruntime-common adm-zip global-agent globalthis define-properties define-data-property es-define-property es-errors gopd has-property-descriptors object-keys matcher escape-string-regexp semver serialize-error type-fest sharp @img/colour detect-libc @img/sharp-libvips-linux-x64 @img/sharp-linux-x64 tsx esbuild @esbuild/linux-x64"
tar -cf - --exclude='node_modules/onnxruntime-node/bin/napi-v*/win32' --exclude='node_modules/onnxruntime-node/bin/napi-v*/darwin' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v*/linux/arm64' $(for m in $MODS; do echo "node_modules/$m"; done) | xz -T2 -9 > .gpu/node_modules.tar.xz
cp /usr/bin/time .gpu/time
# NVIDIA's Vulkan driver needs the glvnd libraries too (the 2026-11-25 H200 found no Vulkan driver without
# them); gpu-check.sh unpacks them beside the loader.
if ! ls .gpu/glvnd-*.deb >/dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/gpukit-lists'
  mkdir -p /tmp/gpukit-lists/partial /tmp/gpukit-debs
  apt-get $o update -qq && (cd /tmp/gpukit-debs && apt-get $o download libglvnd0 libgl1 libglx0 libegl1 libopengl0 libgles2 >/dev/null)
  for f in /tmp/gpukit-debs/*.deb; do cp "$f" ".gpu/glvnd-$(basename "$f")"; done
fi

mkdir -p "$ASIDE"
for p in $BIG; do
  [ -e "$p" ] || continue
  mkdir -p "$ASIDE/$(dirname "$p")" && mv "$p" "$ASIDE/$p"
done
tracked=$( (git ls-files -z | xargs -0 du -cb 2>/dev/null || true) | tail -1 | cut -f1)
kit=$(du -cb .gpu | tail -1 | cut -f1)
echo "travels: tree $((tracked / 1048576)) MiB + .gpu $((kit / 1048576)) MiB (limit 64 MiB); put the model files back with: bench/gpu-pack.sh restore"
