# pf command-line test: a short run writes every output; bad inputs fail
# with a file:line reason and leave no outputs.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${TINSEL} pf run ${SRC}/examples/pf/AppCompY_EqEig.ini --t-end 8000 --quiet
  --out ${WORK}/ok RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pf run failed: ${out} ${err}")
endif()
foreach(f run.ini thickness.csv thickness.png k_fit.csv profiles.csv composition.png stress.png plastic.png)
  if(NOT EXISTS ${WORK}/ok/${f})
    message(FATAL_ERROR "missing output ${f}")
  endif()
endforeach()
file(STRINGS ${WORK}/ok/thickness.csv lines)
list(LENGTH lines nl)
if(nl LESS 20)
  message(FATAL_ERROR "thickness.csv has ${nl} lines")
endif()
# bad inputs
file(WRITE ${WORK}/negD.ini "[phase.Cu3Sn]\nD = -4e-16\n")
file(WRITE ${WORK}/unknown.ini "[phase.Ag3Sn]\nD = 1e-16\n")
file(WRITE ${WORK}/widths.ini "[phase.Cu]\nwidth = 20e-6\n")
file(WRITE ${WORK}/typo.ini "[model]\nkapa = 1e-7\n")
foreach(bad negD unknown widths typo)
  execute_process(COMMAND ${TINSEL} pf run ${WORK}/${bad}.ini --quiet --out ${WORK}/${bad}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "${bad}.ini was accepted")
  endif()
  if(EXISTS ${WORK}/${bad}/thickness.csv)
    message(FATAL_ERROR "${bad}.ini left outputs")
  endif()
  message(STATUS "${bad}: ${err}")
endforeach()
# 2D command, short run
execute_process(COMMAND ${TINSEL} pf run2d ${SRC}/examples/pf/scallops_2d.ini --t-end 200 --quiet
  --out ${WORK}/two RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pf run2d failed: ${out} ${err}")
endif()
foreach(f run.ini thickness.csv fields.vtk phases.png composition2d.png)
  if(NOT EXISTS ${WORK}/two/${f})
    message(FATAL_ERROR "run2d: missing output ${f}")
  endif()
endforeach()
# a threaded 2D run (256 x 64 = 16384 points: FFTW threads and measured plans)
# run again in its folder imports the first run's FFTW wisdom; that import
# used to happen before FFTW's threads were initialised and refused the file
foreach(pass 1 2)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env OMP_NUM_THREADS=2 ${TINSEL} pf run2d
    ${SRC}/examples/pf/scallops_2d.ini --t-end 50 --quiet --out ${WORK}/thr
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "threaded run2d, pass ${pass} (wisdom of pass 1 in the folder): ${out} ${err}")
  endif()
endforeach()
# 2D c-solver keys: the old sweeps still run; conflicting keys are refused with no outputs
file(READ ${SRC}/examples/pf/scallops_2d.ini sc2d)
string(REPLACE "[grid2d]" "[grid2d]\nc_solver = sweeps\nc_tol = 1e-4" conflict "${sc2d}")
file(WRITE ${WORK}/c_conflict.ini "${conflict}")
execute_process(COMMAND ${TINSEL} pf run2d ${WORK}/c_conflict.ini --t-end 100 --quiet --out ${WORK}/c_conflict
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR EXISTS ${WORK}/c_conflict/thickness.csv OR NOT err MATCHES "c_tol and c_max_iter apply to c_solver = pcg")
  message(FATAL_ERROR "run2d accepted c_tol with c_solver = sweeps: ${err}")
endif()
string(REPLACE "[grid2d]" "[grid2d]\nc_sweep_tol = 1e-7" sweeps "${sc2d}")
file(WRITE ${WORK}/c_sweeps.ini "${sweeps}")
execute_process(COMMAND ${TINSEL} pf run2d ${WORK}/c_sweeps.ini --t-end 100 --quiet --out ${WORK}/c_sweeps
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS ${WORK}/c_sweeps/thickness.csv)
  message(FATAL_ERROR "run2d with c_sweep_tol failed: ${out} ${err}")
endif()
# PFHub BM1 command, short run
execute_process(COMMAND ${TINSEL} pf spinodal --variant b --t-end 20 --quiet --out ${WORK}/bm1
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS ${WORK}/bm1/energy.csv OR NOT EXISTS ${WORK}/bm1/c_final.vtk)
  message(FATAL_ERROR "pf spinodal failed: ${out} ${err}")
endif()
# checkpoint/restart through the command: a run killed part-way and resumed
# with --restart ends with the same thickness history as an uninterrupted run.
# The kill is deterministic (TINSEL_PF_TEST_KILL=J, a test-only hook in
# app/engine_pf.c): the process dies at output sample J = 28 (t = 14000 s)
# after checkpoint_history.csv is committed and before checkpoint.bin is, the
# worst moment. A wall-clock TIMEOUT hit that moment only by chance, and then
# the resumed run wrote the row at t = 14000 s twice.
file(WRITE ${WORK}/slow.ini "[model]\nL = 1e-10\n[time]\nt_end = 20000\n[output]\nn_out = 40\ncheckpoint_every = 500\nfit_t0 = 0\nfit_t1 = 20000\n")
execute_process(COMMAND ${TINSEL} pf run ${WORK}/slow.ini --quiet --out ${WORK}/full RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "uninterrupted run failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env TINSEL_PF_TEST_KILL=28
  ${TINSEL} pf run ${WORK}/slow.ini --quiet --out ${WORK}/cut RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(rc EQUAL 0 OR NOT EXISTS ${WORK}/cut/checkpoint.bin)
  message(FATAL_ERROR "the test kill did not stop the run with a checkpoint (rc ${rc})")
endif()
execute_process(COMMAND ${TINSEL} pf run ${WORK}/slow.ini --restart --out ${WORK}/cut RESULT_VARIABLE rc
  ERROR_VARIABLE err OUTPUT_QUIET)
message(STATUS "restart: ${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "restart failed")
endif()
if(NOT err MATCHES "restarting .* at t = 13500 s")
  message(FATAL_ERROR "restart did not resume from the checkpoint at t = 13500 s: ${err}")
endif()
file(READ ${WORK}/full/thickness.csv a)
file(READ ${WORK}/cut/thickness.csv b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "restarted run differs from the uninterrupted run")
endif()
# 2D restart through the command
file(WRITE ${WORK}/s2d.ini "[grid]\nn = 64\ndx = 0.4e-6\n[grid2d]\nny = 8\ndy = 0.4e-6\nscallop_amp = 0.8e-6\nscallop_period = 3.2e-6\n[time]\nt_end = 20000\ndt_max = 5\n[output]\nn_out = 40\ncheckpoint_every = 1000\n")
execute_process(COMMAND ${TINSEL} pf run2d ${WORK}/s2d.ini --quiet --out ${WORK}/f2d RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "2D uninterrupted run failed")
endif()
# two independent processes: on grids this small run2d plans with
# FFTW_ESTIMATE (deterministic), so they must agree bit for bit (measured
# plans differed between processes in 3 of 12 paired runs)
file(REMOVE_RECURSE ${WORK}/c2d)
# deterministic kill at output 28 (t = 14000 s), between the history and the
# checkpoint commits: the checkpoint left is the one at t = 13000 s
execute_process(COMMAND ${CMAKE_COMMAND} -E env TINSEL_PF_TEST_KILL=28
  ${TINSEL} pf run2d ${WORK}/s2d.ini --quiet --out ${WORK}/c2d RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(rc EQUAL 0 OR NOT EXISTS ${WORK}/c2d/checkpoint2d.bin)
  message(FATAL_ERROR "2D: the test kill did not stop the run with a checkpoint (rc ${rc})")
endif()
execute_process(COMMAND ${TINSEL} pf run2d ${WORK}/s2d.ini --restart --quiet --out ${WORK}/c2d RESULT_VARIABLE rc
  ERROR_VARIABLE err OUTPUT_QUIET)
message(STATUS "2D restart: ${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "2D restart failed")
endif()
if(NOT err MATCHES "restarting .* at t = 13000 s")
  message(FATAL_ERROR "2D restart did not resume from the checkpoint at t = 13000 s: ${err}")
endif()
file(READ ${WORK}/f2d/thickness.csv a)
file(READ ${WORK}/c2d/thickness.csv b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "2D restarted run differs from the uninterrupted run")
endif()
# the killed run's temporary files are swept by the restart
file(GLOB stale ${WORK}/c2d/*.tmp.*)
if(stale)
  message(FATAL_ERROR "2D restart left temporary files of the killed run: ${stale}")
endif()
if(NOT EXISTS ${WORK}/c2d/fftw_wisdom.txt)
  message(FATAL_ERROR "2D run did not keep its FFTW plans (fftw_wisdom.txt) for restarts")
endif()
