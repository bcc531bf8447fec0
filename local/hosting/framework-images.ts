/** The frameworks whose SageMaker inference images the script-mode emulator plays (its `--framework` values). */
export type Framework = 'pytorch' | 'sklearn' | 'xgboost' | 'tensorflow' | 'huggingface';

/**
 * Registries of the AWS Deep Learning Containers (PyTorch, TensorFlow, Hugging Face), one account per region, as the
 * SageMaker Python SDK lists them (image_uri_config/pytorch.json, tensorflow.json, huggingface.json).
 */
const DLC_ACCOUNTS = [
  '094389454867', '204538143572', '217643126080', '303241398832', '364406365360', '380420809688', '442386744353',
  '446045086412', '454834333376', '457447274322', '503227376785', '550225433462', '590183813437', '626614931356',
  '633930458069', '637423239942', '692866216735', '727897471807', '763104351884', '772153158452', '780543022126',
  '871362719292', '886529160074', '907027046896', '914824155844', '975050140332',
];

/** Registries of the SageMaker scikit-learn and XGBoost images (image_uri_config/sklearn.json, xgboost.json). */
const ALGORITHM_ACCOUNTS = [
  '104374241257', '106583098589', '108575199400', '121021644041', '124985052026', '141502667606', '190319476487',
  '237065988967', '246618743249', '257758044811', '272398656194', '281123927165', '341280168497', '354813040037',
  '366743142698', '414596584902', '450853457545', '451049120500', '492215442770', '510948584623', '628508329040',
  '651117190479', '659782779980', '662702820516', '680994064768', '683313688378', '720646828776', '737474898029',
  '746614075791', '764974769150', '783357654285', '801668240914', '833128469047', '867004704886', '898809789911',
  '951798379941', '978288397137',
];

/** Inference repositories → framework and the accounts that publish them. */
const REPOSITORIES: Record<string, { framework: Framework; accounts: readonly string[] }> = {
  'pytorch-inference': { framework: 'pytorch', accounts: DLC_ACCOUNTS },
  'pytorch-inference-graviton': { framework: 'pytorch', accounts: DLC_ACCOUNTS },
  'tensorflow-inference': { framework: 'tensorflow', accounts: DLC_ACCOUNTS },
  'tensorflow-inference-graviton': { framework: 'tensorflow', accounts: DLC_ACCOUNTS },
  'huggingface-pytorch-inference': { framework: 'huggingface', accounts: DLC_ACCOUNTS },
  'huggingface-tensorflow-inference': { framework: 'huggingface', accounts: DLC_ACCOUNTS },
  'sagemaker-scikit-learn': { framework: 'sklearn', accounts: ALGORITHM_ACCOUNTS },
  'sagemaker-xgboost': { framework: 'xgboost', accounts: ALGORITHM_ACCOUNTS },
};

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>:<tag>` or `@sha256:<digest>`. */
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+)(?::[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;

/** The framework of an AWS framework inference image, any region and tag; undefined for any other image. */
export function frameworkOf(image: string): Framework | undefined {
  const match = ECR_IMAGE.exec(image);
  if (!match) return undefined;
  const [, account, , repository] = match;
  const known = REPOSITORIES[repository];
  return known && known.accounts.includes(account) ? known.framework : undefined;
}

/** What frameworkOf recognises, for error messages. */
export function recognisedFrameworkImages(): string {
  return `<AWS account>.dkr.ecr.<region>.amazonaws.com/{${Object.keys(REPOSITORIES).join(',')}}:<any tag>`;
}
