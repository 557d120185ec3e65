#!/usr/bin/env bash
# opsim's one entry point for a fresh machine.
#   ./run.sh demo [ARGS...]    set up what is missing, then play a complete demo call
#   ./run.sh test [ARGS...]    set up what is missing, then run the whole test suite
#   ./run.sh serve [ARGS...]   set up what is missing, then start the practice site
#   ./run.sh opsim ARGS...     set up what is missing, then run any opsim command
# Set-up is idempotent: Debian packages (espeak-ng, sox, PortAudio, libsndfile, postgresql),
# a virtual environment in .venv, and the Python packages.  A second run only checks.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
venv="$here/.venv"
stamp="$venv/.opsim-installed"

log() { printf '\033[1m[opsim setup]\033[0m %s\n' "$*" >&2; }

need_apt=()
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need_apt+=(sox)
ldconfig -p 2>/dev/null | grep -q 'libportaudio.so.2' || need_apt+=(libportaudio2)
ldconfig -p 2>/dev/null | grep -q 'libsndfile.so.1' || need_apt+=(libsndfile1)
python3.11 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3.11-venv)
# the practice site's tests drive a real browser (Playwright with Debian's chromium)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# the test suite starts a throw-away PostgreSQL server from these binaries (tests/pg_server.py)
command -v pg_ctl >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else sudo="-"; fi
    if [ "$sudo" = "-" ]; then
        log "please install these Debian packages (needs root): ${need_apt[*]}"
    else
        log "installing Debian packages: ${need_apt[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
    fi
fi

py=$(command -v python3.11 || command -v python3)
if [ ! -x "$venv/bin/python" ]; then
    log "creating virtual environment in .venv"
    "$py" -m venv "$venv"
fi

want=$(cat pyproject.toml run.sh | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python packages (first run: a few minutes)"
    pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
    # CPU build of torch: a plain 'torch' would pull several GB of CUDA packages.
    "${pip[@]}" "torch==2.13.0"
    "${pip[@]}" -e ".[voice,speech,faster,turns,web,postgres,cluster,dev]"
    # openai-whisper's metadata asks for triton (GPU compiler, ~1 GB): not needed on CPU,
    # so it goes in last, without its dependencies (pyproject's 'speech' extra has them).
    "${pip[@]}" --no-deps "openai-whisper==20250625"
    # The end-of-turn models (Silero VAD, Smart Turn v3.2) are ONNX files inside this wheel;
    # its dependencies (openai, aiohttp, numba, pinned soxr/soundfile/protobuf...) are not
    # needed to read them: onnxruntime comes from the 'turns' extra.
    "${pip[@]}" --no-deps "pipecat-ai==1.14.0"
    echo "$want" > "$stamp"
fi

cmd=${1:-demo}
shift || true
case "$cmd" in
    demo) exec "$venv/bin/opsim" demo "$@" ;;
    test) exec "$venv/bin/python" -m pytest "$@" ;;
    serve) exec "$venv/bin/opsim" serve "$@" ;;
    opsim) exec "$venv/bin/opsim" "$@" ;;
    *) echo "usage: ./run.sh demo|test|serve|opsim [ARGS...]" >&2; exit 2 ;;
esac
