// What `dreambooth prepare` found, per photo: written by the prepare job as OUTPUT/prepared/report.json
// (runLayout's preparedReport) and read by the Prepared Images panel, so the warnings the terminal
// printed are still there, per file, when the user looks at the crops later.

export interface PreparedPhoto {
  /** The source photo, absolute. */
  source: string;
  /** The crop training sees (absolute PNG path); absent when the photo was skipped. */
  prepared?: string;
  /** Used anyway, but worth knowing (too small for the resolution, animated). */
  warnings: string[];
  /** Why it was skipped (unreadable, not decodable): training will not see it. */
  skipped?: string;
}

export interface PreparedConcept {
  name: string;
  /** The instance-image folder, absolute. */
  instanceImages: string;
  photos: PreparedPhoto[];
  /** Names of files in the folder that are not images: ignored by training. */
  ignored: string[];
  /** The class-image folder, absolute (its images are listed when shown: training may add more). */
  classImages: string;
  numClassImages: number;
}

export interface PreparedReport {
  conceptFile: string;
  /** Side of the square crops, px. */
  resolution: number;
  /** ISO time the prepare job finished. */
  time: string;
  concepts: PreparedConcept[];
}
