# broker/aws/ without a network: CloudTrail files streamed and classified
# (the public fixtures of tests/aws/fixtures), XML answers, times.
bg_unit_test(test_aws_trail SOURCES test_aws_trail.c LIBS bg_aws)
target_compile_definitions(test_aws_trail PRIVATE
  BG_AWS_FIXTURES="${CMAKE_SOURCE_DIR}/tests/aws/fixtures")
set_tests_properties(test_aws_trail PROPERTIES TIMEOUT 300)
