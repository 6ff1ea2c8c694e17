# Run by `cmake --install` (see CMakeLists.txt, which sets the TQ_*
# variables): writes the units with this install's paths and installs them,
# the sysusers.d and tmpfiles.d files, and the system tqd's settings file
# if there is none yet (an operator's edited file is never overwritten:
# cmake knows no conffiles, so this is the one rule it gets).
set(prefix "${CMAKE_INSTALL_PREFIX}")

# DIR under the prefix, unless absolute.
function(tq_under_prefix out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

set(config_dir "${TQ_SYSTEM_CONFIG_DIR}")
if(NOT config_dir)
  if(prefix STREQUAL "/usr" OR prefix STREQUAL "/usr/local")
    set(config_dir /etc/tq)
  else()
    set(config_dir "${prefix}/etc/tq")
  endif()
endif()

# What the .in files name.
tq_under_prefix(bindir "${TQ_BINDIR}")
tq_under_prefix(libexecdir "${TQ_LIBEXECDIR}")
set(TQD "${bindir}/tqd")
set(TQ_AGENT "${libexecdir}/tq-agent")
set(TQ_SYSTEM_CONFIG "${config_dir}/tqd.toml")
set(TQ_CONFIG_DIR "${config_dir}")  # tq-agent@NAME.service's agent-NAME.conf and .key

set(work "${TQ_SYSTEMD_WORK_DIR}")
configure_file("${TQ_SYSTEMD_SOURCE_DIR}/tqd.service.in" "${work}/system/tqd.service" @ONLY)
configure_file("${TQ_SYSTEMD_SOURCE_DIR}/tqd.socket.in" "${work}/system/tqd.socket" @ONLY)
configure_file("${TQ_SYSTEMD_SOURCE_DIR}/tq-agent@.service.in" "${work}/system/tq-agent@.service"
               @ONLY)
configure_file("${TQ_SYSTEMD_SOURCE_DIR}/user/tqd.service.in" "${work}/user/tqd.service" @ONLY)

tq_under_prefix(system_units "${TQ_SYSTEMD_SYSTEM_UNIT_DIR}")
tq_under_prefix(user_units "${TQ_SYSTEMD_USER_UNIT_DIR}")
tq_under_prefix(sysusers "${TQ_SYSUSERS_DIR}")
tq_under_prefix(tmpfiles "${TQ_TMPFILES_DIR}")
file(INSTALL "${work}/system/tqd.service" "${work}/system/tqd.socket"
     "${work}/system/tq-agent@.service"
     DESTINATION "${system_units}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${work}/user/tqd.service"
     DESTINATION "${user_units}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${TQ_SYSTEMD_SOURCE_DIR}/tq.sysusers" DESTINATION "${sysusers}" RENAME tq.conf)
file(INSTALL "${TQ_SYSTEMD_SOURCE_DIR}/tq.tmpfiles" DESTINATION "${tmpfiles}" RENAME tq.conf)

if(EXISTS "$ENV{DESTDIR}${config_dir}/tqd.toml")
  message(STATUS "Kept: $ENV{DESTDIR}${config_dir}/tqd.toml (already there)")
else()
  file(INSTALL "${TQ_SYSTEMD_SOURCE_DIR}/tqd-system.toml" DESTINATION "${config_dir}"
       RENAME tqd.toml)
endif()
