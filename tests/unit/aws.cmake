# broker/aws/ without a network: CloudTrail files streamed and classified
# (the public fixtures of tests/aws/fixtures), XML answers, times.
bg_unit_test(test_aws_trail SOURCES test_aws_trail.c LIBS bg_aws)
target_compile_definitions(test_aws_trail PRIVATE
  BG_AWS_FIXTURES="${CMAKE_SOURCE_DIR}/tests/aws/fixtures")
set_tests_properties(test_aws_trail PROPERTIES TIMEOUT 300)
# broker/export/: CEF escaping against the vectors of tests/ocsf/samples.
bg_unit_test(test_export SOURCES test_export.c LIBS bg_export)
target_compile_definitions(test_export PRIVATE
  BG_CEF_VECTORS="${CMAKE_SOURCE_DIR}/tests/ocsf/samples/cef_vectors.json")
