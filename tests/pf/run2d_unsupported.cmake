# run2d refuses the 1D options the 2D solver does not implement (instead of
# silently running something else): [grid] init = sharp (2D always starts from
# tanh profiles) and [mechanics] normal = stress; and an unknown [grid2d]
# mixture (rank1 or voigt). Each fails with a reason naming the option and
# leaves no thickness.csv. A valid mixture is written back into run.ini.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/sharp.ini "[grid]\nn = 64\ndx = 0.4e-6\ninit = sharp\n[grid2d]\nny = 2\ndy = 0.4e-6\n[time]\nt_end = 10\n")
file(WRITE ${WORK}/stress.ini "[grid]\nn = 64\ndx = 0.4e-6\n[mechanics]\nenabled = 1\nnormal = stress\n[grid2d]\nny = 2\ndy = 0.4e-6\n[time]\nt_end = 10\n")
file(WRITE ${WORK}/mixture.ini "[grid]\nn = 64\ndx = 0.4e-6\n[mechanics]\nenabled = 1\n[grid2d]\nny = 2\ndy = 0.4e-6\nmixture = reuss\n[time]\nt_end = 10\n")
foreach(pair "sharp;init = sharp" "stress;normal = strain" "mixture;mixture must be rank1 or voigt, got 'reuss'")
  list(GET pair 0 bad)
  list(GET pair 1 want)
  execute_process(COMMAND ${TINSEL} pf run2d ${WORK}/${bad}.ini --quiet --out ${WORK}/${bad}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "run2d accepted ${bad}.ini")
  endif()
  if(NOT err MATCHES "${want}")
    message(FATAL_ERROR "run2d ${bad}.ini: the reason does not name '${want}': ${err}")
  endif()
  if(EXISTS ${WORK}/${bad}/thickness.csv)
    message(FATAL_ERROR "run2d ${bad}.ini left outputs")
  endif()
  message(STATUS "${bad}: ${err}")
endforeach()
# the default mixture is recorded in the resolved configuration
file(WRITE ${WORK}/ok.ini "[grid]\nn = 64\ndx = 0.4e-6\n[mechanics]\nenabled = 1\n[grid2d]\nny = 2\ndy = 0.4e-6\n[time]\nt_end = 1\n")
execute_process(COMMAND ${TINSEL} pf run2d ${WORK}/ok.ini --quiet --out ${WORK}/ok RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "run2d ok.ini failed: ${err}")
endif()
file(READ ${WORK}/ok/run.ini ini)
if(NOT ini MATCHES "mixture = rank1")
  message(FATAL_ERROR "run.ini does not record mixture = rank1:\n${ini}")
endif()
