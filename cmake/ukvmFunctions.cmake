# ukvmFunctions.cmake: the ukvm::ukvm imported library and ukvm_add_monitor(), shared by the installed package and the tests.
#
#   ukvm_add_monitor(<target>
#       [SOURCEDIR <dir>]            where upstream's ukvm_module_*.c live
#       [MODULES <name>...]          any of: net blk gdb dumpcore, and
#                                    rust-net rust-blk (the library's own
#                                    net and blk, no SOURCEDIR needed; not
#                                    together with net / blk)
#       [EXTRA_MODULES <spec>...]    third-party modules: NAME=PATH or PATH
#       [SOURCES <file>...])         more sources that are not modules
#
# builds executable <target>: our libukvm.a, the core, the MODULES taken
# unchanged from SOURCEDIR, and the EXTRA_MODULES. For PATH alone, NAME is
# the file name without .c and without a leading "ukvm_module_"; the file
# must define `struct ukvm_module ukvm_module_NAME`. The module list the
# monitor runs (core, then dumpcore blk net gdb as upstream orders them,
# then the extra modules in the order given) is generated into
# <binary dir>/<target>.ukvm/ukvm_modules.c.
#
# Upstream module sources, and the backend .c files they #include, are
# copied into that directory first, so that `#include "ukvm.h"` finds our
# header rather than the one beside them in SOURCEDIR. They are compiled
# with upstream's flags (-std=c99 -Wall -Werror, plus -O2 -g when no build
# type is set).

set(UKVM_BUILTIN_MODULES dumpcore blk net gdb)

# Copies of module sources are ours to overwrite, even from a read-only tree.
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
    set(_UKVM_COPY_PERMS NO_SOURCE_PERMISSIONS)
else()
    set(_UKVM_COPY_PERMS "")
endif()

# Libraries that the Rust standard library inside libukvm.a needs, as
# `rustc --print native-static-libs` reports them for *-linux-gnu.
set(UKVM_SYSTEM_LIBS gcc_s util rt pthread m dl c)
set(UKVM_STATIC_SYSTEM_LIBS util rt pthread m dl c)

# Define ukvm::ukvm from a library file and a header directory.
function(_ukvm_import_library library include_dir)
    if(TARGET ukvm::ukvm)
        return()
    endif()
    add_library(ukvm::ukvm STATIC IMPORTED GLOBAL)
    if(UKVM_STATIC)
        set(libs ${UKVM_STATIC_SYSTEM_LIBS})
    else()
        set(libs ${UKVM_SYSTEM_LIBS})
    endif()
    set_target_properties(ukvm::ukvm PROPERTIES
        IMPORTED_LOCATION "${library}"
        IMPORTED_LINK_INTERFACE_LANGUAGES C
        INTERFACE_INCLUDE_DIRECTORIES "${include_dir}"
        INTERFACE_LINK_LIBRARIES "${libs}")
    if(UKVM_STATIC)
        set_property(TARGET ukvm::ukvm APPEND PROPERTY INTERFACE_LINK_OPTIONS -static)
    endif()
endfunction()

# Split an EXTRA_MODULES spec into module name and absolute path.
function(_ukvm_parse_extra spec out_name out_path)
    if(spec MATCHES "^([^=]+)=(.+)$")
        set(name "${CMAKE_MATCH_1}")
        set(path "${CMAKE_MATCH_2}")
    else()
        get_filename_component(name "${spec}" NAME_WE)
        string(REGEX REPLACE "^ukvm_module_" "" name "${name}")
        set(path "${spec}")
    endif()
    if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
        message(FATAL_ERROR "ukvm_add_monitor: invalid module name '${name}' (from '${spec}')")
    endif()
    get_filename_component(path "${path}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${path}")
        message(FATAL_ERROR "ukvm_add_monitor: module source not found: ${path}")
    endif()
    set(${out_name} "${name}" PARENT_SCOPE)
    set(${out_path} "${path}" PARENT_SCOPE)
endfunction()

function(ukvm_add_monitor target)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "SOURCEDIR" "MODULES;EXTRA_MODULES;SOURCES")
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "ukvm_add_monitor: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT TARGET ukvm::ukvm)
        message(FATAL_ERROR "ukvm_add_monitor: no ukvm::ukvm target (use find_package(ukvm))")
    endif()
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.ukvm")
    file(MAKE_DIRECTORY "${dir}")

    set(c_modules "")
    foreach(m IN LISTS ARG_MODULES)
        if(m MATCHES "^rust-(blk|net)$")
            if(CMAKE_MATCH_1 IN_LIST ARG_MODULES)
                message(FATAL_ERROR "ukvm_add_monitor: modules '${CMAKE_MATCH_1}' and '${m}' both provide ${CMAKE_MATCH_1}: choose one")
            endif()
        elseif(NOT m IN_LIST UKVM_BUILTIN_MODULES)
            message(FATAL_ERROR "ukvm_add_monitor: invalid module: ${m} (known: ${UKVM_BUILTIN_MODULES} rust-blk rust-net)")
        else()
            list(APPEND c_modules "${m}")
        endif()
    endforeach()
    if(c_modules AND NOT EXISTS "${ARG_SOURCEDIR}")
        message(FATAL_ERROR "ukvm_add_monitor: MODULES need SOURCEDIR, the directory with ukvm_module_*.c")
    endif()

    set(names "")
    set(module_sources "")
    foreach(m IN LISTS UKVM_BUILTIN_MODULES)
        # The library's own module takes its C counterpart's place.
        if("rust-${m}" IN_LIST ARG_MODULES)
            list(APPEND names "rust_${m}")
            continue()
        endif()
        if(NOT m IN_LIST ARG_MODULES)
            continue()
        endif()
        set(src "${ARG_SOURCEDIR}/ukvm_module_${m}.c")
        if(NOT EXISTS "${src}")
            message(FATAL_ERROR "ukvm_add_monitor: invalid module: ${m} (no ${src})")
        endif()
        configure_file("${src}" "${dir}/ukvm_module_${m}.c" COPYONLY ${_UKVM_COPY_PERMS})
        file(STRINGS "${src}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"/]*\\.c\"")
        foreach(line IN LISTS includes)
            string(REGEX REPLACE ".*\"([^\"]*)\".*" "\\1" inc "${line}")
            if(EXISTS "${ARG_SOURCEDIR}/${inc}")
                configure_file("${ARG_SOURCEDIR}/${inc}" "${dir}/${inc}" COPYONLY ${_UKVM_COPY_PERMS})
            endif()
        endforeach()
        list(APPEND names "${m}")
        list(APPEND module_sources "${dir}/ukvm_module_${m}.c")
    endforeach()

    set(externs "")
    set(extra_sources "")
    foreach(spec IN LISTS ARG_EXTRA_MODULES)
        _ukvm_parse_extra("${spec}" name path)
        if(name MATCHES "^(core|rust_blk|rust_net)$" OR name IN_LIST names)
            message(FATAL_ERROR "ukvm_add_monitor: module name '${name}' is already in use")
        endif()
        list(APPEND names "${name}")
        list(APPEND extra_sources "${path}")
        string(APPEND externs "extern struct ukvm_module ukvm_module_${name};\n")
    endforeach()

    set(entries "    &ukvm_module_core,\n")
    foreach(name IN LISTS names)
        string(APPEND entries "    &ukvm_module_${name},\n")
    endforeach()
    file(CONFIGURE OUTPUT "${dir}/ukvm_modules.c" @ONLY CONTENT
"/* Made by ukvm_add_monitor(): the modules compiled into ${target}. */
#include \"ukvm.h\"
${externs}
struct ukvm_module *ukvm_core_modules[] = {
${entries}    NULL
};
")

    add_executable(${target} "${dir}/ukvm_modules.c" ${module_sources} ${extra_sources} ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE ukvm::ukvm)
    set_target_properties(${target} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
    set_source_files_properties("${dir}/ukvm_modules.c" ${module_sources}
        TARGET_DIRECTORY ${target} PROPERTIES COMPILE_OPTIONS "-Wall;-Werror")
    if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
        target_compile_options(${target} PRIVATE -O2 -g)
    endif()
endfunction()
