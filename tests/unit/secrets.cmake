# Root password rules and generator, TOTP (broker/secrets/); bg_secrets
# comes from broker/secrets/CMakeLists.txt.
# --wrap: the tests make the RNG and EVP_MAC fail on demand.
bg_unit_test(test_password SOURCES test_password.c
  LIBS bg_secrets bg_common PkgConfig::OPENSSL
  LINK_OPTIONS -Wl,--wrap=RAND_bytes)
# The word lists the build embedded (broker/secrets/CMakeLists.txt): the
# test reads them again and checks every entry against the build.
foreach(l JOHN ZXCVBN CRACKLIB WAMERICAN)
  target_compile_definitions(test_password PRIVATE
    "BG_WORDLIST_${l}=\"$<TARGET_PROPERTY:bg_secrets,BG_WORDLIST_${l}>\"")
endforeach()
bg_unit_test(test_totp SOURCES test_totp.c
  LIBS bg_secrets bg_common PkgConfig::OPENSSL
  LINK_OPTIONS -Wl,--wrap=EVP_MAC_fetch)
set_tests_properties(test_password PROPERTIES TIMEOUT 300)
