# HKDF-SHA256 and X25519 of common/crypto.c against published vectors.
bg_unit_test(test_crypto SOURCES test_crypto.c LIBS bg_common)

# The token drivers (tokens/) through their public API, against the
# software tokens of tests/virtual: the real libfido2 and libykpers run
# unmodified.
#  - FIDO2: preload.c is compiled into the executable, so its definitions of
#    fido_dev_info_manifest, fido_dev_new_with_info and fido_dev_open are
#    what libbg_tokens.a binds to at link time (a regular object beats the
#    shared libfido2); they reach the real ones through dlsym(RTLD_NEXT).
#  - YubiKey: the fake libusb objects (bg_vyk_usb) are linked into the
#    executable; ld exports them because libykpers references them, so
#    libykpers binds its libusb calls to them instead of libusb-1.0.
# test_token_list_sees_virtual_devices fails if either binding is lost.
# broker/cli/common.c is linked in for what bg_cli_fail() prints of a
# token's failure.
bg_unit_test(test_tokens
  SOURCES test_tokens.c ${CMAKE_SOURCE_DIR}/tests/virtual/fido2/preload.c
    ${CMAKE_SOURCE_DIR}/broker/cli/common.c
    $<TARGET_OBJECTS:bg_vyk_usb>
  LIBS bg_tokens bg_vfido bg_vyk bg_common PkgConfig::OPENSSL
    ${CMAKE_DL_LIBS})
target_include_directories(test_tokens PRIVATE
  ${CMAKE_SOURCE_DIR}/tests/virtual/fido2
  ${CMAKE_SOURCE_DIR}/tests/virtual/yubikey)
set_tests_properties(test_tokens PROPERTIES TIMEOUT 180)
