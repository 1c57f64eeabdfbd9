#!/usr/bin/env bash
# Makes a TornadoVM SDK usable by Squall: adopts an installed one (--sdk DIR or TORNADOVM_HOME) or
# downloads the official prebuilt SDK, installs its API and runtime jars into the local Maven
# repository, records where it is (~/.squall/tornado-sdk, read by ./squall and the tests of every
# checkout) and lists the devices. It never builds TornadoVM.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="5.2.0-jdk25"
GROUP="io.github.beehive-lab"
RECORD="$HOME/.squall/tornado-sdk"

usage() {
  cat <<EOF
Usage: ./setup-tornado.sh [--sdk DIR] [--backend opencl|ptx|spirv] [--with-pocl]

  --sdk DIR        adopt the TornadoVM $VERSION SDK in DIR (default: \$TORNADOVM_HOME)
  --backend NAME   which official SDK to download when none is given (default: opencl)
  --with-pocl      when no OpenCL device exists, install PoCL (OpenCL on the CPU) from Debian
  --forget         stop using the recorded SDK (removes ~/.squall/tornado-sdk)

Without --sdk and TORNADOVM_HOME the official prebuilt SDK
(tornadovm-$VERSION-<backend>-linux-amd64) is downloaded into ~/.squall/tornadovm.
EOF
}

die() { echo "setup-tornado: $*" >&2; exit 1; }

SDK="${TORNADOVM_HOME:-}"
BACKEND="opencl"
WITH_POCL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sdk) [ $# -ge 2 ] || die "--sdk needs a directory"; SDK="$2"; shift 2 ;;
    --backend) [ $# -ge 2 ] || die "--backend needs opencl, ptx or spirv"; BACKEND="$2"; shift 2 ;;
    --with-pocl) WITH_POCL=1; shift ;;
    --forget) rm -f "$RECORD"; echo "setup-tornado: forgot the recorded SDK"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
case "$BACKEND" in opencl|ptx|spirv) ;; *) die "--backend: unknown backend '$BACKEND'; use opencl, ptx or spirv" ;; esac

# 1. A JDK 25: the launcher's own search, so both agree.
JAVA_HOME="$("$HERE/squall" java-home)" || exit 1
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"

# 2. The SDK: given, or the official download.
download_sdk() {
  local name="tornadovm-$VERSION-$BACKEND-linux-amd64" dest="$HOME/.squall/tornadovm" url ext
  mkdir -p "$dest"
  for ext in tar.gz zip; do
    url="https://github.com/beehive-lab/TornadoVM/releases/download/v$VERSION/$name.$ext"
    echo "setup-tornado: downloading $url" >&2
    if curl -fsSL --connect-timeout 20 -o "$dest/$name.$ext" "$url" 2>/dev/null; then
      case "$ext" in
        tar.gz) tar -xzf "$dest/$name.$ext" -C "$dest" ;;
        zip) (cd "$dest" && unzip -q -o "$name.$ext") ;;
      esac
      rm -f "$dest/$name.$ext"
      # The archive holds one top-level directory: the SDK.
      find "$dest" -maxdepth 2 -name tornado-argfile -printf '%h\n' | head -1
      return 0
    fi
    rm -f "$dest/$name.$ext"
  done
  return 1
}

if [ -z "$SDK" ]; then
  if ! SDK="$(download_sdk)" || [ -z "$SDK" ]; then
    die "no SDK given and the official one could not be downloaded (no network access to github.com here?). Download tornadovm-$VERSION-$BACKEND-linux-amd64 from https://github.com/beehive-lab/TornadoVM/releases on a machine that can, unpack it, and run ./setup-tornado.sh --sdk DIR"
  fi
fi
SDK="$(cd "$SDK" 2>/dev/null && pwd)" || die "--sdk: no such directory: $SDK"

# 3. Is it a TornadoVM $VERSION SDK?
for f in bin/tornado tornado-argfile share/java/tornado; do
  [ -e "$SDK/$f" ] || die "$SDK is not a TornadoVM SDK (no $f); pass the directory that holds bin/tornado and tornado-argfile"
done
API_JAR="$(ls "$SDK"/share/java/tornado/tornado-api-*.jar 2>/dev/null | head -1 || true)"
RUNTIME_JAR="$(ls "$SDK"/share/java/tornado/tornado-runtime-*.jar 2>/dev/null | head -1 || true)"
[ -n "$API_JAR" ] && [ -n "$RUNTIME_JAR" ] || die "$SDK/share/java/tornado has no tornado-api or tornado-runtime jar"
case "$(basename "$API_JAR")" in
  tornado-api-"$VERSION".jar) ;;
  *) die "$SDK is $(basename "$API_JAR" .jar | sed 's/^tornado-api-//'), Squall needs TornadoVM $VERSION; install that version and pass it with --sdk" ;;
esac

# 4. Its jars into the local Maven repository, under the coordinates Maven Central would use.
command -v mvn >/dev/null 2>&1 || die "Maven (mvn) not found: install it, e.g. 'apt-get install maven'"
for pair in "tornado-api:$API_JAR" "tornado-runtime:$RUNTIME_JAR"; do
  artifact="${pair%%:*}"; jar="${pair#*:}"
  mvn -B -q -ntp install:install-file -Dfile="$jar" -DgroupId="$GROUP" -DartifactId="$artifact" \
      -Dversion="$VERSION" -Dpackaging=jar >/dev/null || die "could not install $jar into the local Maven repository"
  echo "setup-tornado: installed $GROUP:$artifact:$VERSION"
done

# 5. A device to run on.
export TORNADOVM_HOME="$SDK"
list_devices() { "$SDK/bin/tornado" --devices 2>&1; }
if [ "$BACKEND" = opencl ] && ! list_devices | grep -qi "device"; then
  if [ "$WITH_POCL" = 1 ]; then
    echo "setup-tornado: no OpenCL device; installing PoCL from Debian"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq pocl-opencl-icd ocl-icd-libopencl1 clinfo >/dev/null \
      || die "installing pocl-opencl-icd failed"
  else
    die "no OpenCL device found; install your GPU's OpenCL driver, or rerun with --with-pocl to use the CPU through PoCL"
  fi
fi
DEVICES="$(list_devices)"
echo "$DEVICES" | grep -qi "device" || die "TornadoVM found no device: $(echo "$DEVICES" | tail -1)"

# 6. Record it for ./squall and the tests.
mkdir -p "$(dirname "$RECORD")"
echo "$SDK" > "$RECORD"
echo "setup-tornado: using $SDK (recorded in $RECORD)"
echo "$DEVICES"
