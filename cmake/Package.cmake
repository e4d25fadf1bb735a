# What cmake --install and the .deb put on a system: programs, man pages, the
# configuration, the systemd unit, sysusers/tmpfiles entries, bash completion.
include(GNUInstallDirs)

option(TESSERA_MAN "Build the man pages (needs scdoc)" ON)
set(TESSERA_CONFDIR /etc/tessera CACHE PATH "Directory of the installed tesserad.conf")
set(PKG_OUT ${CMAKE_BINARY_DIR}/pkg)
file(MAKE_DIRECTORY ${PKG_OUT}/man)

# /etc/tessera/tesserad.conf: the example, with data and control_socket set.
add_custom_command(OUTPUT ${PKG_OUT}/tesserad.conf
  COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_SOURCE_DIR}/conf/tesserad.conf.example
          -DOUT=${PKG_OUT}/tesserad.conf -P ${CMAKE_SOURCE_DIR}/cmake/MakeConf.cmake
  DEPENDS ${CMAKE_SOURCE_DIR}/conf/tesserad.conf.example ${CMAKE_SOURCE_DIR}/cmake/MakeConf.cmake
  COMMENT "tesserad.conf for /etc")
set(PKG_FILES ${PKG_OUT}/tesserad.conf)

# Man pages from docs/man/*.scd; installed gzipped, as Debian does.
if(TESSERA_MAN)
  find_program(SCDOC scdoc REQUIRED)
  find_program(GZIP gzip REQUIRED)
  foreach(page tesserad.8 tessera.1 tesserad.conf.5)
    string(REGEX MATCH "[0-9]$" section ${page})
    set(src ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd)
    set(out ${PKG_OUT}/man/${page})
    add_custom_command(OUTPUT ${out} ${out}.gz
      COMMAND ${CMAKE_COMMAND} -DSCDOC=${SCDOC} -DGZIP=${GZIP} -DIN=${src} -DOUT=${out}
              -P ${CMAKE_SOURCE_DIR}/cmake/Man.cmake
      DEPENDS ${src} ${CMAKE_SOURCE_DIR}/cmake/Man.cmake
      COMMENT "scdoc ${page}")
    list(APPEND PKG_FILES ${out} ${out}.gz)
    install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
endif()
# The Debian changelog, compressed as policy 12.7 wants: gzip -9n (no name,
# no timestamp, so the same source gives the same bytes).
find_program(GZIP_PROG gzip REQUIRED)
add_custom_command(OUTPUT ${PKG_OUT}/changelog.gz
  COMMAND ${GZIP_PROG} -9nc ${CMAKE_SOURCE_DIR}/deploy/debian/changelog > ${PKG_OUT}/changelog.gz
  DEPENDS ${CMAKE_SOURCE_DIR}/deploy/debian/changelog
  COMMENT "changelog.gz")
list(APPEND PKG_FILES ${PKG_OUT}/changelog.gz)
add_custom_target(package_files ALL DEPENDS ${PKG_FILES})

install(FILES ${PKG_OUT}/tesserad.conf DESTINATION ${TESSERA_CONFDIR})
install(FILES conf/tesserad.conf.example docs/cli.md deploy/OPERATORS.md
        deploy/debian/copyright ${PKG_OUT}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Overrides of lintian tags that do not apply, each with its reason.
install(FILES deploy/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME tessera)
install(FILES deploy/systemd/tessera.sysusers DESTINATION lib/sysusers.d RENAME tessera.conf)
install(FILES deploy/systemd/tessera.tmpfiles DESTINATION lib/tmpfiles.d RENAME tessera.conf)
install(FILES deploy/bash-completion/tessera deploy/bash-completion/tesserad
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
# The unit names the installed tesserad, so it is written at install time,
# when the prefix is known (cpack installs with prefix /usr).
install(CODE "
  set(SBINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}\")
  set(CONFDIR \"${TESSERA_CONFDIR}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/deploy/systemd/tesserad.service.in\"
                 \"${PKG_OUT}/unit/tesserad.service\" @ONLY)
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\" TYPE FILE
       FILES \"${PKG_OUT}/unit/tesserad.service\")")

# cpack -G DEB: tessera_VERSION_ARCH.deb
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tessera)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "peer-to-peer sync of community records")
# Lines of at most 80 characters (lintian: extended-description-line-too-long).
set(CPACK_PACKAGE_DESCRIPTION "Tessera lets each learning community run a small node holding its
own signed, multilingual initiatives and resources, and syncs them with
the peers its operators configure over mutual TLS 1.3 with pinned keys.
This package holds the daemon tesserad, the command-line client tessera,
a hardened systemd unit and the man pages.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# DESTDIR installs keep /etc absolute and let the unit see the real prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
# The project's role address, documented in README.md ("Running a node");
# deploy/debian/changelog and copyright name it too.
set(TESSERA_MAINTAINER "Tessera maintainers <maintainers@tessera.community>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TESSERA_MAINTAINER}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps adds the libraries tesserad and tessera link against.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# tesserad opens libmicrohttpd at run time (daemon/ops/mhd_lib.c), which
# dpkg-shlibdeps cannot see: its package is named from its soname.
string(REGEX REPLACE "^libmicrohttpd\\.so\\.([0-9]+)$" "libmicrohttpd\\1" MHD_DEB_PACKAGE "${MHD_SONAME}")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd, ${MHD_DEB_PACKAGE}")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
file(WRITE ${PKG_OUT}/conffiles "${TESSERA_CONFDIR}/tesserad.conf\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PKG_OUT}/conffiles ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_SOURCE_DIR}/deploy/debian/prerm ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
