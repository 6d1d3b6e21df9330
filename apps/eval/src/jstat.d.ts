/** The part of jstat (no bundled types) the summaries use. */
declare module 'jstat' {
  const jStat: {
    /** Student's t distribution. */
    studentt: {
      /** Quantile: the x with P(T <= x) = p for `dof` degrees of freedom. */
      inv(p: number, dof: number): number;
    };
  };
  export default jStat;
}
