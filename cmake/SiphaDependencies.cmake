# All dependencies come from Debian 12 packages (see `make deps`).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Poco REQUIRED COMPONENTS Foundation Util JSON Net NetSSL Data DataSQLite)
find_package(Boost REQUIRED COMPONENTS unit_test_framework)
