// Torch's default random generator, thread settings and grad mode are process-wide: test classes running in
// parallel (e.g. one calling manual_seed while another trains) broke bit-for-bit reproducibility tests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
