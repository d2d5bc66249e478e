# Root password rules and generator, TOTP (broker/secret.h); bg_secret
# comes from broker/secret.cmake.
# --wrap: the tests make the RNG and EVP_MAC fail on demand.
bg_unit_test(test_password SOURCES test_password.c
  LIBS bg_secret bg_common PkgConfig::OPENSSL
  LINK_OPTIONS -Wl,--wrap=RAND_bytes)
bg_unit_test(test_totp SOURCES test_totp.c
  LIBS bg_secret bg_common PkgConfig::OPENSSL
  LINK_OPTIONS -Wl,--wrap=EVP_MAC_fetch)
set_tests_properties(test_password PROPERTIES TIMEOUT 300)
