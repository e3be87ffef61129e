# kb_version: the project version, git commit and build date, regenerated on every build
# (the file is rewritten only when its content changes, so nothing relinks needlessly).
set(KB_VERSION_CPP ${CMAKE_BINARY_DIR}/generated/version_info.cpp)
add_custom_target(kb_version_info
  COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -DOUT=${KB_VERSION_CPP}
          -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/hack/cmake/write_version.cmake
  BYPRODUCTS ${KB_VERSION_CPP}
  COMMENT "Stamping version"
  VERBATIM)
add_library(kb_version STATIC ${KB_VERSION_CPP} ${PROJECT_SOURCE_DIR}/pkg/base/version_info.hpp)
add_dependencies(kb_version kb_version_info)
target_include_directories(kb_version PUBLIC ${PROJECT_SOURCE_DIR})
