# Build helpers shared by every library, service and tool.

set(PLAZA_GENERATED_DIR "${CMAKE_BINARY_DIR}/generated")
file(MAKE_DIRECTORY "${PLAZA_GENERATED_DIR}")

# plaza_proto_library(<target> PROTOS <files relative to ROOT> [DEPS <proto targets>] [ROOT <dir>])
# Generates C++ messages and gRPC stubs into the build tree and wraps them in one library. ROOT
# defaults to proto/, the public API; tests keep their own protos elsewhere.
function(plaza_proto_library target)
  cmake_parse_arguments(ARG "" "ROOT" "PROTOS;DEPS" ${ARGN})
  if(NOT ARG_ROOT)
    set(ARG_ROOT "${PROJECT_SOURCE_DIR}/proto")
  endif()
  set(sources)
  foreach(proto IN LISTS ARG_PROTOS)
    string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
    set(outs "${PLAZA_GENERATED_DIR}/${stem}.pb.cc" "${PLAZA_GENERATED_DIR}/${stem}.pb.h"
             "${PLAZA_GENERATED_DIR}/${stem}.grpc.pb.cc" "${PLAZA_GENERATED_DIR}/${stem}.grpc.pb.h")
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc
        --proto_path=${ARG_ROOT}
        --proto_path=${PROJECT_SOURCE_DIR}/proto
        --cpp_out=${PLAZA_GENERATED_DIR}
        --grpc_out=${PLAZA_GENERATED_DIR}
        --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
        ${ARG_ROOT}/${proto}
      DEPENDS ${ARG_ROOT}/${proto}
      COMMENT "protoc ${proto}"
      VERBATIM)
    list(APPEND sources "${PLAZA_GENERATED_DIR}/${stem}.pb.cc" "${PLAZA_GENERATED_DIR}/${stem}.grpc.pb.cc")
  endforeach()
  add_library(${target} ${sources})
  set_target_properties(${target} PROPERTIES UNITY_BUILD OFF)
  target_include_directories(${target} PUBLIC "${PLAZA_GENERATED_DIR}")
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${ARG_DEPS})
endfunction()

# plaza_embed_migrations(<target> <namespace> <dir>)
# Compiles the service's migrations/NNNN_*.sql into the binary so images need no SQL files beside
# them. Defines `const std::vector<plaza::pg::Migration>& <namespace>::Migrations()`.
function(plaza_embed_migrations target namespace dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  set(out "${PLAZA_GENERATED_DIR}/migrations/${target}.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${namespace} "-DFILES=${sql_files}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    COMMENT "embedding migrations for ${target}"
    VERBATIM)
  add_library(${target} "${out}")
  target_link_libraries(${target} PUBLIC plaza_pg)
endfunction()

# plaza_test(<target> SOURCES <files> DEPS <targets> [LABELS <labels>])
# A Catch2 executable registered with CTest. Label `db` marks tests that need PostgreSQL/Redis.
function(plaza_test target)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE plaza_catch_main plaza_warnings ${ARG_DEPS})
  add_test(NAME ${target} COMMAND ${target} --order rand --warn NoAssertions)
  set_tests_properties(${target} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 600)
endfunction()
