# bg_alert: alerts over HTTP (broker/alert.h): sink configuration, the
# durable spool in STATE/spool/, delivery with libcurl. Included from
# broker/CMakeLists.txt; alert_config.c needs only common/ and audit/ (the
# fuzz harness builds it alone).
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl>=7.85)
add_library(bg_alert STATIC alert.c alert_config.c alert_spool.c
  alert_send.c)
target_link_libraries(bg_alert PUBLIC bg_audit bg_common PkgConfig::CURL
  PkgConfig::OPENSSL)
