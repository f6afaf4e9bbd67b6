* tree10.sp: a 10-segment post-void interconnect tree in the shape of seed 003's Fig. 4
* (void at node 1; inter-segment junctions 2, 5 and 7 reported).
*
* THE GEOMETRY AND THE CURRENTS ARE OURS, NOT THE SEED'S: the seed's tree exists only in its
* Fig. 4(a), which the text we have does not contain. What follows the seed: 10 wire segments
* of 10-50 um, 1 um wide copper, mean current densities |j| in 5e8-5e9 A/m^2, a void at a leaf
* ("node 1"), junctions "2", "5" and "7" between segments.
*
* Node names must be n<layer>_<x>_<y> (coordinates in nm, docs/em.md "Netlist, DC and trees"),
* so the seed-style numbers are labels given on the command line:
*   node  netlist name        arms  role
*   1     n1_0_0              1     void (leaf; the via to ground, where the void nucleates first)
*   2     n1_30000_0          4     junction (1, 3, 4, 5)
*   3     n1_30000_20000      1     blocked end
*   4     n1_30000_-40000     1     blocked end
*   5     n1_75000_0          3     junction (2, 6, 7)
*   6     n1_75000_15000      1     blocked end
*   7     n1_100000_0         3     junction (5, 8, 9)
*   8     n1_135000_0         2     junction (7, 10)
*   9     n1_100000_-30000    2     junction (7, 11)
*   10    n1_185000_0         1     blocked end
*   11    n1_100000_-40000    1     blocked end
*
*      3            6
*      |            |
*  1 - 2 ---------- 5 ----- 7 -------- 8 ------------ 10
*      |                    |
*      |                    9
*      4                    |
*                           11
*
* Wires: layer 1, thickness 0.6 um (default), R = rho_Cu L / (w t) with rho_Cu = 3e-8 ohm m and
* w = 1 um, i.e. 0.05 ohm per um (em derives w = rho_Cu L / (R t) = 1 um back from R).
* Currents: every load injects current into the tree (I 0 node: current leaves ground and enters
* the node) and it all leaves through node 1 to the 1 V supply/via; a segment carries the sum of
* the loads beyond it, so with t w = 6e-13 m^2:
*   segment  nodes    L (um)  I (mA)  |j| (A/m^2)
*   1        1-2      30      2.92    4.87e9
*   2        2-3      20      0.40    6.67e8
*   3        2-4      40      0.50    8.33e8
*   4        2-5      45      1.82    3.03e9
*   5        5-6      15      0.32    5.33e8
*   6        5-7      25      1.25    2.08e9
*   7        7-8      35      0.65    1.08e9
*   8        7-9      30      0.60    1.00e9
*   9        8-10     50      0.35    5.83e8
*   10       9-11     10      0.40    6.67e8
* (em analyze on this file nucleates the void on segment 1 after 0.27 years.)
*
* tinsel em bpinn train examples/em/tree10.sp --void-node n1_0_0 --out bp10
* tinsel em bpinn predict bp10/model.safetensors --nodes 1=n1_0_0,2=n1_30000_0,5=n1_75000_0,7=n1_100000_0 --out bp10p
V1 n1_0_0 0 1.0
R1-1-1 n1_0_0 n1_30000_0 1.5
R1-1-2 n1_30000_0 n1_30000_20000 1.0
R1-1-3 n1_30000_0 n1_30000_-40000 2.0
R1-1-4 n1_30000_0 n1_75000_0 2.25
R1-1-5 n1_75000_0 n1_75000_15000 0.75
R1-1-6 n1_75000_0 n1_100000_0 1.25
R1-1-7 n1_100000_0 n1_135000_0 1.75
R1-1-8 n1_100000_0 n1_100000_-30000 1.5
R1-1-9 n1_135000_0 n1_185000_0 2.5
R1-1-10 n1_100000_-30000 n1_100000_-40000 0.5
I2 0 n1_30000_0 0.2m
I3 0 n1_30000_20000 0.4m
I4 0 n1_30000_-40000 0.5m
I5 0 n1_75000_0 0.25m
I6 0 n1_75000_15000 0.32m
I8 0 n1_135000_0 0.3m
I9 0 n1_100000_-30000 0.2m
I10 0 n1_185000_0 0.35m
I11 0 n1_100000_-40000 0.4m
.end
