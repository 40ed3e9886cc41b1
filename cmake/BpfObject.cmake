# BpfObject.cmake — compile a BPF C program and generate its libbpf skeleton.
#
#   include(BpfObject)
#   ls_bpf_object(NAME lockstep SOURCE lockstep.bpf.c [DEPENDS headers...])
#   -> struct lockstep_bpf, lockstep_bpf__open() ... in lockstep.skel.h
#
# Produces, in the current build directory only, <NAME>.bpf.o (clang
# -target bpf, with BTF) and <NAME>.skel.h (bpftool gen skeleton), and an
# INTERFACE library <NAME>_skel that puts the skeleton on the include path
# and links libbpf. The shape follows libbpf-bootstrap's FindBpfObject.cmake:
# tools found once, one custom command per output, a target to depend on.
#
# Sets LS_BPF_FOUND to FALSE (and defines nothing) when clang, bpftool or
# libbpf is missing, so the caller can build without the data plane.
find_program(LS_BPF_CLANG NAMES clang clang-14 clang-15 clang-16)
find_program(LS_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
	pkg_check_modules(LIBBPF QUIET IMPORTED_TARGET libbpf)
endif()

if(LS_BPF_CLANG AND LS_BPFTOOL AND LIBBPF_FOUND)
	set(LS_BPF_FOUND TRUE)
else()
	set(LS_BPF_FOUND FALSE)
	message(STATUS "BPF data plane disabled: clang=${LS_BPF_CLANG} bpftool=${LS_BPFTOOL} libbpf=${LIBBPF_FOUND}")
endif()

# The multiarch include directory holds <asm/types.h>, which the UAPI
# headers need and -target bpf does not search by itself.
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch OUTPUT_VARIABLE LS_BPF_MULTIARCH
	OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
	set(LS_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
	set(LS_BPF_ARCH arm64)
else()
	set(LS_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(ls_bpf_object)
	cmake_parse_arguments(ARG "" "NAME;SOURCE" "DEPENDS;INCLUDES" ${ARGN})
	if(NOT LS_BPF_FOUND)
		return()
	endif()
	get_filename_component(src ${ARG_SOURCE} ABSOLUTE)
	set(obj ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.bpf.o)
	set(skel ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.skel.h)
	set(incs)
	foreach(dir ${ARG_INCLUDES} ${LIBBPF_INCLUDE_DIRS})
		list(APPEND incs -I${dir})
	endforeach()
	if(LS_BPF_MULTIARCH)
		list(APPEND incs -idirafter /usr/include/${LS_BPF_MULTIARCH})
	endif()
	add_custom_command(OUTPUT ${obj}
		COMMAND ${LS_BPF_CLANG} -g -O2 -Wall -Werror -target bpf
			-D__TARGET_ARCH_${LS_BPF_ARCH} ${incs} -c ${src} -o ${obj}
		DEPENDS ${src} ${ARG_DEPENDS}
		COMMENT "BPF ${ARG_NAME}.bpf.o"
		VERBATIM)
	add_custom_command(OUTPUT ${skel}
		COMMAND ${LS_BPFTOOL} gen skeleton ${obj} name ${ARG_NAME}_bpf > ${skel}
		DEPENDS ${obj}
		COMMENT "BPF skeleton ${ARG_NAME}.skel.h"
		VERBATIM)
	add_custom_target(${ARG_NAME}_skel_gen DEPENDS ${obj} ${skel})
	add_library(${ARG_NAME}_skel INTERFACE)
	add_dependencies(${ARG_NAME}_skel ${ARG_NAME}_skel_gen)
	target_include_directories(${ARG_NAME}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
	target_link_libraries(${ARG_NAME}_skel INTERFACE PkgConfig::LIBBPF)
	set(${ARG_NAME}_BPF_OBJECT ${obj} PARENT_SCOPE)
endfunction()
