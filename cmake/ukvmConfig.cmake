# ukvmConfig.cmake: find_package(ukvm) for an installed ukvm; defines ukvm::ukvm and ukvm_add_monitor().
#
# Installed as PREFIX/lib/cmake/ukvm/, next to ukvmFunctions.cmake; the
# library is PREFIX/lib/libukvm.a and the headers PREFIX/include/ukvm/.
# Set UKVM_STATIC before find_package() to link monitors statically.

get_filename_component(_ukvm_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
include("${CMAKE_CURRENT_LIST_DIR}/ukvmFunctions.cmake")

set(UKVM_INCLUDE_DIR "${_ukvm_prefix}/include/ukvm")
set(UKVM_LIBRARY "${_ukvm_prefix}/lib/libukvm.a")
if(NOT EXISTS "${UKVM_LIBRARY}" OR NOT EXISTS "${UKVM_INCLUDE_DIR}/ukvm.h")
    set(ukvm_FOUND FALSE)
    set(ukvm_NOT_FOUND_MESSAGE "ukvm: ${UKVM_LIBRARY} or ${UKVM_INCLUDE_DIR}/ukvm.h is missing")
    return()
endif()
_ukvm_import_library("${UKVM_LIBRARY}" "${UKVM_INCLUDE_DIR}")
set(ukvm_FOUND TRUE)
unset(_ukvm_prefix)
