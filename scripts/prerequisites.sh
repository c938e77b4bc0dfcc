# Shared by start.sh and test.sh: install what is missing, saying what and why.
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_updated=0
need_apt_package() {
  local package="$1" why="$2"
  if dpkg -s "$package" >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" != 0 ]; then
    echo "error: $why needs the package '$package'; run as root or: sudo apt-get install $package" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then say "apt-get update"; apt-get update -qq; apt_updated=1; fi
  say "installing $package: $why"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
}

# Like need_apt_package, but what needs it can do without: a failed install is reported and the script goes on
# (the PostgreSQL test, for one, is then skipped and says how to get the server).
want_apt_package() {
  local package="$1" why="$2"
  ( need_apt_package "$package" "$why" ) || echo "warning: could not install $package; $why will be skipped." >&2
}

need_dotnet() {
  if command -v dotnet >/dev/null && dotnet --list-sdks | grep -q '^10\.'; then return; fi
  # Ubuntu 24.04 carries the .NET 10 SDK in its archive; Debian 12 needs Microsoft's package feed.
  if apt-cache show dotnet-sdk-10.0 >/dev/null 2>&1; then
    need_apt_package dotnet-sdk-10.0 ".NET 10 SDK"
  else
    echo "error: the .NET 10 SDK is missing. Install it (https://learn.microsoft.com/dotnet/core/install/linux-debian), then run this again." >&2
    exit 1
  fi
}
