# Run by cpack on the staged files (CPACK_PRE_BUILD_SCRIPTS), after
# CPACK_STRIP_FILES has removed the symbols: drop the sections Debian's
# dh_strip drops too, the compilers' .comment and .note (lintian:
# binary-has-unneeded-section).
file(GLOB bg_programs LIST_DIRECTORIES false
  "${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}/bin/*"
  "${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}/sbin/*")
foreach(p IN LISTS bg_programs)
  execute_process(
    COMMAND "${CPACK_BG_STRIP}" --remove-section=.comment
      --remove-section=.note "${p}"
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot strip ${p} with '${CPACK_BG_STRIP}'")
  endif()
endforeach()
