# Merkle tree (RFC 9162 2.1), signed notes and checkpoints (C2SP), Ed25519.
bg_unit_test(test_merkle
  SOURCES test_merkle.c ${CMAKE_SOURCE_DIR}/audit/merkle.c
  LIBS bg_common)
bg_unit_test(test_note
  SOURCES test_note.c ${CMAKE_SOURCE_DIR}/audit/note.c
    ${CMAKE_SOURCE_DIR}/audit/checkpoint.c ${CMAKE_SOURCE_DIR}/audit/merkle.c
  LIBS bg_common)
