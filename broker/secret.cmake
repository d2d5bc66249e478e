# bg_secret: root password rules and generator, TOTP (broker/secret.h).
# Included from broker/CMakeLists.txt.
#
# The common-password list is embedded at build time: bg_wordlists
# (broker/wordlists.c, a host tool that is not installed) turns the
# word lists into pw_common.inc, which password.c includes. The program
# never reads the lists at run time.
set(BG_WORDLISTS
  "${CMAKE_SOURCE_DIR}/../shared/vectors/password_policy/wordlists"
  CACHE PATH "Directory of the word lists embedded as common passwords")
get_filename_component(bg_wordlists_dir "${BG_WORDLISTS}" ABSOLUTE)
set(bg_wordlist_files
  "${bg_wordlists_dir}/john-data/password.lst"
  "${bg_wordlists_dir}/zxcvbn/passwords.txt"
  "${bg_wordlists_dir}/cracklib-runtime/cracklib-small"
  "${bg_wordlists_dir}/wamerican/american-english")
foreach(f IN LISTS bg_wordlist_files)
  if(NOT EXISTS "${f}")
    message(FATAL_ERROR "word list not found: ${f} (set BG_WORDLISTS)")
  endif()
endforeach()

add_executable(bg_wordlists "${CMAKE_CURRENT_LIST_DIR}/wordlists.c")
add_custom_command(
  OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/pw_common.inc"
  COMMAND bg_wordlists "${CMAKE_CURRENT_BINARY_DIR}/pw_common.inc"
    ${bg_wordlist_files}
  DEPENDS bg_wordlists ${bg_wordlist_files}
  COMMENT "Embedding the common-password lists"
  VERBATIM)

add_library(bg_secret STATIC
  "${CMAKE_CURRENT_LIST_DIR}/password.c"
  "${CMAKE_CURRENT_LIST_DIR}/totp.c"
  "${CMAKE_CURRENT_BINARY_DIR}/pw_common.inc")
target_include_directories(bg_secret PRIVATE "${CMAKE_CURRENT_BINARY_DIR}")
target_link_libraries(bg_secret PUBLIC bg_common)
