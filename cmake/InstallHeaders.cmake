# Run by `cmake --install` (cmake/CMakeLists.txt): installs tq's public
# headers, every header under TQ_PUBLIC_INCLUDE_ROOTS, and, transitively,
# each "tq/..." header they include from one of the tree's include roots
# (a directory named include with a tq/ in it, under TQ_SOURCE_DIR's
# proto/, client/ or daemon/), each at TQ_INCLUDE_DESTINATION/<its path
# below its root>. So the installed set is what a user's #include needs: a
# tq/proto header is installed exactly while a public header includes it.
cmake_policy(PUSH)
cmake_policy(VERSION 3.25)  # install scripts start with old policies

set(roots ${TQ_PUBLIC_INCLUDE_ROOTS})
foreach(module IN ITEMS proto client daemon)
  file(GLOB_RECURSE dirs LIST_DIRECTORIES true "${TQ_SOURCE_DIR}/${module}/*/tq")
  foreach(dir IN LISTS dirs)
    cmake_path(GET dir FILENAME leaf)
    cmake_path(GET dir PARENT_PATH root)
    cmake_path(GET root FILENAME name)
    if(IS_DIRECTORY "${dir}" AND leaf STREQUAL "tq" AND name STREQUAL "include"
       AND NOT root IN_LIST roots)
      list(APPEND roots "${root}")
    endif()
  endforeach()
endforeach()
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
