# Helpers for installing tq's libraries (included by the top CMakeLists.txt).

# tq_build_tree_includes(TARGET): wraps TARGET's interface include
# directories that lie in the source or build tree in $<BUILD_INTERFACE:...>,
# as install(EXPORT) requires; installed, the target uses include/ (from
# install(TARGETS ... INCLUDES DESTINATION)). Call it after the target's
# own target_include_directories(), which may name plain source paths.
function(tq_build_tree_includes target)
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(NOT dirs)
    return()
  endif()
  set(wrapped "")
  foreach(dir IN LISTS dirs)
    cmake_path(IS_PREFIX PROJECT_SOURCE_DIR "${dir}" NORMALIZE in_source)
    cmake_path(IS_PREFIX PROJECT_BINARY_DIR "${dir}" NORMALIZE in_build)
    if(in_source OR in_build)
      list(APPEND wrapped "$<BUILD_INTERFACE:${dir}>")
    else()
      list(APPEND wrapped "${dir}")
    endif()
  endforeach()
  set_property(TARGET ${target} PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${wrapped}")
endfunction()
