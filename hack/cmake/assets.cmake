# Embeds manifests/, chart/ and web/ (the dashboard's page) into the binary (kb_assets) so it needs no files beside it.
# The list of files is re-globbed on every build; the generated source changes only when they do.
file(GLOB_RECURSE KB_ASSET_FILES CONFIGURE_DEPENDS
  RELATIVE ${PROJECT_SOURCE_DIR}
  ${PROJECT_SOURCE_DIR}/manifests/* ${PROJECT_SOURCE_DIR}/chart/* ${PROJECT_SOURCE_DIR}/web/*)
list(SORT KB_ASSET_FILES)
set(KB_ASSETS_CPP ${CMAKE_BINARY_DIR}/generated/embedded_assets.cpp)
add_custom_command(
  OUTPUT ${KB_ASSETS_CPP}
  COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -DOUT=${KB_ASSETS_CPP}
          "-DFILES=${KB_ASSET_FILES}" -P ${PROJECT_SOURCE_DIR}/hack/cmake/embed_assets.cmake
  DEPENDS ${KB_ASSET_FILES} ${PROJECT_SOURCE_DIR}/hack/cmake/embed_assets.cmake
  COMMENT "Embedding manifests/, chart/ and web/"
  VERBATIM)
add_library(kb_assets STATIC ${KB_ASSETS_CPP} ${PROJECT_SOURCE_DIR}/pkg/base/embedded_assets.hpp)
target_include_directories(kb_assets PUBLIC ${PROJECT_SOURCE_DIR})
