# Run by `cmake --install` (cmake/CMakeLists.txt): installs tq's public
# headers, every header under TQ_PUBLIC_INCLUDE_ROOTS, and, transitively,
# each "tq/..." header they include that lies under TQ_INCLUDE_ROOTS, each
# at TQ_INCLUDE_DESTINATION/<its path below its root>. So the installed set
# is what a user's #include needs: a tq/proto header is installed exactly
# while a public header includes it.
cmake_policy(PUSH)
cmake_policy(VERSION 3.25)  # install scripts start with old policies

set(roots ${TQ_PUBLIC_INCLUDE_ROOTS} ${TQ_INCLUDE_ROOTS})
set(destination "${TQ_INCLUDE_DESTINATION}")
if(NOT IS_ABSOLUTE "${destination}")
  set(destination "${CMAKE_INSTALL_PREFIX}/${destination}")
endif()
set(pending "")
foreach(root IN LISTS TQ_PUBLIC_INCLUDE_ROOTS)
  file(GLOB_RECURSE headers "${root}/*.h")
  list(APPEND pending ${headers})
endforeach()

set(done "")
while(pending)
  list(POP_FRONT pending header)
  if(header IN_LIST done)
    continue()
  endif()
  list(APPEND done "${header}")

  foreach(root IN LISTS roots)
    cmake_path(IS_PREFIX root "${header}" NORMALIZE under)
    if(under)
      cmake_path(RELATIVE_PATH header BASE_DIRECTORY "${root}" OUTPUT_VARIABLE relative)
      break()
    endif()
  endforeach()
  cmake_path(GET relative PARENT_PATH subdir)
  file(INSTALL "${header}" DESTINATION "${destination}/${subdir}")

  file(STRINGS "${header}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]tq/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[^<\"]*[<\"]([^>\"]+)[>\"].*$" "\\1" name "${line}")
    set(found "")
    foreach(root IN LISTS roots)
      if(EXISTS "${root}/${name}")
        set(found "${root}/${name}")
        break()
      endif()
    endforeach()
    if(NOT found)
      message(FATAL_ERROR "${header} includes <${name}>, which is in none of: ${roots}")
    endif()
    list(APPEND pending "${found}")
  endforeach()
endwhile()
cmake_policy(POP)
