# aarch64-linux-gnu.cmake: CMake toolchain for the cross-built AArch64 half of the C tests, run under qemu-user.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# Test programs run through qemu-user, with the cross C library as root.
find_program(UKVM_QEMU_AARCH64 qemu-aarch64)
if(UKVM_QEMU_AARCH64)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${UKVM_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu")
endif()
